"""Skin-tone transfer backends; the public entry point is synthesis.ml.tone_transfer."""
