"""Parts of the data panel: background inspection worker and the panel's views."""
