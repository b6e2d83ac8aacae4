"""Stacks and asynchronous cutouts: planning a job's frames, running them (on Dask, or in
this process for small synchronous stacks), and making the stack's products (FITS
extensions, cube, zip, contact sheet, blink). Depends on the cutout service, the catalog
interface, the UWS job model and stores; never on Flask."""
