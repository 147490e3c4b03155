"""What loaders share, kept apart from the loaders themselves (as torch keeps `_utils`).

batching      exact-size batches from chunks of any size: one cutting rule, three assemblies
              (numpy chunks, tensors, copies into reused buffers)
orders        epoch-seeded random orders: one function, one named salt per purpose
workers       DataLoader workers: the epoch number shared with persistent workers, shutdown
chunks        numpy chunks of preprocessed rows, record batches read from Parquet
memory        the whole dataset read into memory in set-up (frame or tensors)
dataloader    DataLoader options, samplers and collate functions as named choices
arrow_columns Arrow record batches to feature blocks without pandas, the ring of buffers
shm_slots     batch slots in shared memory and the worker processes that fill them (arrow-shm)
extras        optional dependencies of the peer loaders: missing or unusable, with the fix

Nothing here is a loader: the registry lists only the modules one level up.
"""
