"""The Streamlit app: one module per page, plus pure helpers that the tests exercise directly.

Pages call the library (search, evidence, export); no search or grading logic lives here.
"""
