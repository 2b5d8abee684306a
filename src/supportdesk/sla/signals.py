"""Drop a team's cached SLA settings (engine.team_sla) whenever an admin changes them."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from supportdesk.sla.engine import forget_team_sla
from supportdesk.sla.models import BusinessHours, Holiday, SlaPolicy


@receiver([post_save, post_delete], sender=BusinessHours)
@receiver([post_save, post_delete], sender=SlaPolicy)
def _settings_changed(instance: BusinessHours | SlaPolicy, **kwargs: Any) -> None:
    forget_team_sla(instance.team_id)


@receiver([post_save, post_delete], sender=Holiday)
def _holiday_changed(instance: Holiday, **kwargs: Any) -> None:
    hours = BusinessHours.objects.filter(pk=instance.business_hours_id).values("team_id").first()
    if hours:
        forget_team_sla(hours["team_id"])
