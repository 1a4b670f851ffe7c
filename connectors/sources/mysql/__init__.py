"""MySQL/MariaDB source: PyMySQL streaming reads in parallel primary-key chunks."""
