// Replaced as the layer fills in.
