"""Build tools of the harness: skeleton generation and calibration."""
