"""The engine process: serves build/train/evaluate/export jobs with TensorFlow (python -m visualnn.engine)."""
