"""tricks-kb: an evidence-graded knowledge base of neural-network training tricks."""

__version__ = "0.1.0"
