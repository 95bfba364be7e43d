"""AnyCable-Go Pro's OCPP example channels, ported to Python.

The docs' "Coming from AnyCable-Go Pro" (docs/anycable-go-pro.md) runs them."""
