"""Actions that apps higher up offer on each module of a staff member's own record (for example
"Book a place" on a module with sessions), through a small registry this app owns. A provider is
a callable (staff, pairs, today) -> {module id: [{"text", "href"}]}, registered from its app's
AppConfig.ready(); it runs a fixed number of queries whatever the pairs."""

_PROVIDERS = []


def register_module_actions(provider):
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def module_actions(*, staff, pairs, today):
    actions = {}
    for provider in _PROVIDERS:
        for module_id, links in provider(staff=staff, pairs=pairs, today=today).items():
            actions.setdefault(module_id, []).extend(links)
    return actions
