"""World coordinates of plate mosaics: solutions from header files (TPV, SIP, TNX),
and the rotation delta between a solution's pixel frame and the stored mosaic."""
