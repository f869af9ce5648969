"""WeChat Official Account protocol: callback signatures, safe-mode crypto, XML, server API."""
