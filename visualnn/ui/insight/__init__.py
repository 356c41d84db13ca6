"""Look inside the model: the Activations and Explanations views (a bottom dock), their engine sessions and drawings."""
