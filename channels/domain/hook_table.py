"""Every command hook of the reference system, in one table: per OCPP action, the checks
before a command is sent, what the station's answer changes, and what a failure does.

The engine (command_hooks.py) reads only this table. A hook is a plain function of
its feature's module; listing it here, not registering it on import, means a process
applies every hook whatever it happened to import (the API process too). Hooks run
in the order listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import (
    configuration,
    device_model,
    diagnostics,
    firmware,
    local_lists,
    password_rotation,
    reservations,
    security_profiles,
    smart_charging,
    triggers,
)
from ocpp_cable.channels.domain.follow_ups import FollowUp
from ocpp_cable.channels.storage.models import ChargePoint

# (session, station, payload) -> what is wrong with sending it, or None.
Check = Callable[[Session, ChargePoint, dict[str, Any]], str | None]
# (session, station_id, the command's payload, the station's answer) -> commands it calls for.
Reply = Callable[..., Iterable[FollowUp] | None]
# (session, station_id, the command's payload, the error code).
Failure = Callable[..., None]


class WithId:
    """A hook that also gets the command's id (keyword `command_id`): a password rotation
    follows its own command, and its recorded payload (masked) cannot tell it apart."""

    def __init__(self, hook: Callable[..., Any]) -> None:
        self.hook = hook

    def __call__(self, *args: Any, command_id: str) -> Any:
        return self.hook(*args, command_id=command_id)


CHECKS: dict[str, tuple[Check, ...]] = {
    "ChangeConfiguration": (configuration.check_not_readonly,),
    "SendLocalList": (local_lists.check_list_length,),
    "SetChargingProfile": (smart_charging.check_set_profile,),
    "RemoteStartTransaction": (smart_charging.check_remote_start,),
    "ClearChargingProfile": (smart_charging.check_clear_profile,),
    "GetCompositeSchedule": (smart_charging.check_composite_schedule,),
    "ReserveNow": (reservations.check_reserved_here,),
    "CancelReservation": (reservations.check_still_holding,),
    "TriggerMessage": (triggers.check_trigger,),
}

REPLIES: dict[str, tuple[Reply | WithId, ...]] = {
    "GetConfiguration": (configuration.on_configuration_reported,),
    "ChangeConfiguration": (
        configuration.on_configuration_changed,
        WithId(password_rotation.on_key_answered),
        security_profiles.on_security_profile_changed,
    ),
    "SetNetworkProfile": (security_profiles.on_network_profile_answered,),
    "SendLocalList": (WithId(local_lists.on_list_answered),),
    "GetLocalListVersion": (local_lists.on_version_answered,),
    "SetVariables": (
        device_model.on_variables_set,
        WithId(password_rotation.on_variables_answered),
    ),
    "GetDiagnostics": (diagnostics.on_diagnostics_answered,),
    "GetLog": (diagnostics.on_log_answered,),
    "UpdateFirmware": (firmware.on_update_answered,),
    "SignedUpdateFirmware": (firmware.on_update_answered,),
    "PublishFirmware": (firmware.on_publish_answered,),
    "UnpublishFirmware": (firmware.on_unpublish_answered,),
    "SetChargingProfile": (smart_charging.on_set_profile_answered,),
    "ClearChargingProfile": (smart_charging.on_clear_profile_answered,),
    "GetCompositeSchedule": (smart_charging.on_composite_schedule_answered,),
    "RemoteStartTransaction": (smart_charging.on_remote_start_answered,),
    "ReserveNow": (reservations.on_reserve_answered,),
    "CancelReservation": (reservations.on_cancel_answered,),
}

FAILURES: dict[str, tuple[Failure | WithId, ...]] = {
    "SendLocalList": (local_lists.on_list_failed,),
    "SetVariables": (WithId(password_rotation.on_rotation_failed),),
    "ChangeConfiguration": (WithId(password_rotation.on_rotation_failed),),
    "GetDiagnostics": (diagnostics.on_diagnostics_failed,),
    "GetLog": (diagnostics.on_log_failed,),
    "UpdateFirmware": (firmware.on_update_failed,),
    "SignedUpdateFirmware": (firmware.on_update_failed,),
    "PublishFirmware": (firmware.on_update_failed,),
    "ReserveNow": (reservations.on_reserve_failed,),
}
