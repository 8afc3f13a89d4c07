"""The typed contracts between services: each model here is what one side sends and the
other reads, with one name per fact on every hop. ``classify``: gateway -> preprocess;
``ingest``: gateway -> ingest (bodies and answers)."""
