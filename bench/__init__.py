"""ocpp-cable's own benchmarks (`make bench`)."""
