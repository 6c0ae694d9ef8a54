from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training"

    def ready(self):
        from workforce.services import staff_listener_register

        from .state import staff_changed

        # The maintained compliance state follows every change to a person's record.
        staff_listener_register(staff_changed)

        from . import (
            exports,
            receivers,  # noqa: F401 - deletes that bypass the services keep the state
        )

        exports.register_kinds()
