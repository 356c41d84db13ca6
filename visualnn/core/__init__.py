"""Pure-Python core: graph document, layer catalog, shapes, validation, commands, project files.

Nothing here imports Qt, TensorFlow, Keras, numpy or pandas.
"""
