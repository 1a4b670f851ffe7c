"""Metadata: settings, the SQLAlchemy models and migrations, repositories, secret encryption."""
