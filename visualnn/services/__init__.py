"""Services: TensorFlow/Keras, numpy and pandas work, imported lazily; never Qt."""
