"""Dataset archives: a streamed ZIP of images, masks, metadata, licences, checksums, a datasheet
and Croissant metadata. Plain modules; the services feed them rows and a way to open files."""
