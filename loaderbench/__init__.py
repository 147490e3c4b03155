"""loaderbench: benchmark PyTorch data loaders on one tabular workload.

`import loaderbench` stays light: it imports neither torch nor pyarrow.
"""

__version__ = "0.1.0"
