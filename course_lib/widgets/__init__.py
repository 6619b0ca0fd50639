"""Interactive ipywidgets apps, thin over the library's pure functions.

They work with ipywidgets 7 (Colab) and 8 (JupyterLab 4, Notebook 7, VS Code). Each app shows
bad input as a short message in place and keeps its last good picture.
"""
