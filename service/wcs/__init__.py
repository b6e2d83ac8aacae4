"""World coordinates of plate mosaics: solutions, and the stored-pixel frame."""
