"""The fault campaign: processes killed under load, a fuzzed protocol line (`make faults`)."""
