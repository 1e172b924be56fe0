"""Encoders: sentence-transformers, hashing, and the ONNX query encoder."""
