"""Recipe check: read a training config, detect the tricks it uses, and weigh them against the catalog."""
