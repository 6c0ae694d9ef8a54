"""Deletes that bypass the services: Django's own cascades (the admin deleting a person, a team or a
module) remove or change rows the maintained compliance state (training.state) counts, without a
write through the services that would refresh it. These receivers keep the pairs and their counts
equal to what the rules say, in the delete's own transaction."""

from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from workforce.models import StaffMember, Team

from .models import Module
from .state import pair_counts_recount, pair_states_forget, pairs_changed


@receiver(pre_delete, sender=StaffMember, dispatch_uid="training.state.staff_deleted")
def _staff_deleted(sender, instance, **kwargs):
    pair_states_forget(staff_ids=[instance.pk])


@receiver(pre_delete, sender=Team, dispatch_uid="training.state.team_deleting")
def _team_deleting(sender, instance, **kwargs):
    # Its people lose their team (SET_NULL) after this: remember who they are.
    instance._state_staff_ids = list(StaffMember.objects.filter(team=instance).values_list("pk", flat=True))


@receiver(post_delete, sender=Team, dispatch_uid="training.state.team_deleted")
def _team_deleted(sender, instance, **kwargs):
    pairs_changed(staff=getattr(instance, "_state_staff_ids", ()))


@receiver(post_delete, sender=Module, dispatch_uid="training.state.module_deleted")
def _module_deleted(sender, instance, **kwargs):
    # Its pairs went with it; every person who had one may now have other statuses.
    pair_counts_recount()
