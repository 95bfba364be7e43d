"""AnyCable-Go Pro's OCPP example channels, ported to Python.

The README's "Coming from AnyCable-Go Pro" runs them."""
