"""2.x sampled values as 1.6 gives them (channels/handlers/ocpp2/meter.py)."""

from __future__ import annotations

from ocpp_cable.channels.handlers.ocpp2.meter import (
    as_16,
    has_energy_register,
    meter_rows,
    value_text,
)


def test_values_are_written_as_16_writes_them():
    assert value_text(1500) == "1500"
    assert value_text(1500.0) == "1500"
    assert value_text(1.5, 3) == "1500"  # kWh-sized with multiplier 3: Wh
    assert value_text(1.1, 3) == "1100"  # exact: no 1100.0000000000002
    assert value_text(230.25) == "230.25"
    assert value_text(12, -1) == "1.2"
    assert value_text(0, 3) == "0" and value_text(-0.0) == "0"


def test_a_meter_value_in_16_shape():
    sent = [
        {
            "timestamp": "2026-12-01T10:00:00Z",
            "sampledValue": [
                {
                    "value": 2.5,
                    "measurand": "Energy.Active.Import.Register",
                    "context": "Transaction.Begin",
                    "unitOfMeasure": {"unit": "kWh", "multiplier": 0},
                },
                {"value": 231, "phase": "L1-N", "measurand": "Voltage", "location": "Outlet"},
            ],
        }
    ]
    assert as_16(sent) == [
        {
            "timestamp": "2026-12-01T10:00:00Z",
            "sampledValue": [
                {
                    "value": "2.5",
                    "measurand": "Energy.Active.Import.Register",
                    "context": "Transaction.Begin",
                    "unit": "kWh",
                },
                {"value": "231", "measurand": "Voltage", "phase": "L1-N", "location": "Outlet"},
            ],
        }
    ]
    rows = meter_rows("CP-2", 3, 7, sent)
    assert [(r["connector_id"], r["transaction_id"], r["value"]) for r in rows] == [
        (3, 7, "2.5"),
        (3, 7, "231"),
    ]
    assert has_energy_register(rows) and not has_energy_register(rows[1:])
    # A value with no measurand is the energy register, as in 1.6.
    assert meter_rows("CP-2", 1, None, [{"timestamp": "2026-12-01T10:00:00Z",
                                          "sampledValue": [{"value": 1}]}])[0]["measurand"] == (
        "Energy.Active.Import.Register"
    )  # fmt: skip


def test_a_multiplier_at_its_bound_gives_a_short_exact_text():
    # The schema allows any 32-bit multiplier on any double: found by the 2.x fuzz
    # (decimal.InvalidOperation, an InternalError for a valid message).
    assert value_text(1e300, -1406690397) == "1E-1406690097"
    assert value_text(5e-324, 2**31 - 1) == "5E+2147483323"
    assert value_text(1e20) == "100000000000000000000"
    assert value_text(1.5e-7) == "0.00000015"


def test_a_signed_reading_keeps_its_signed_data_as_16_keeps_it():
    # 1.6 sends a signed reading as a sampled value of its own, format SignedData; a 2.x
    # sample carries it beside its value: both are kept, the signedMeterValue as sent.
    signed = {"signedMeterData": "T0NNRnx7fQ==", "signingMethod": "ECDSA-secp256r1-SHA256",
              "encodingMethod": "OCMF", "publicKey": "MFkw"}  # fmt: skip
    sent = [{"timestamp": "2026-12-01T10:00:00Z", "sampledValue": [
        {"value": 1.5, "context": "Sample.Clock", "unitOfMeasure": {"unit": "kWh"},
         "signedMeterValue": signed},
    ]}]  # fmt: skip
    [entry] = as_16(sent)
    assert entry["sampledValue"] == [
        {"value": "1.5", "context": "Sample.Clock", "unit": "kWh"},
        {
            "value": '{"signedMeterData":"T0NNRnx7fQ==","signingMethod":"ECDSA-secp256r1-SHA256",'
            '"encodingMethod":"OCMF","publicKey":"MFkw"}',
            "context": "Sample.Clock",
            "format": "SignedData",
        },
    ]
    rows = meter_rows("CP-2", 1, 7, sent)
    assert [(r["measurand"], r["format"]) for r in rows] == [
        ("Energy.Active.Import.Register", None),
        ("Energy.Active.Import.Register", "SignedData"),
    ]
    # The signed data is no reading of the register: only the value counts.
    assert has_energy_register(rows) and not has_energy_register(rows[1:])
