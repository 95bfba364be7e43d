"""Scripts for working on ocpp-cable, not part of what it runs: the protobuf
generator (`make proto`) and the generated blocks of the docs (`make docs`)."""
