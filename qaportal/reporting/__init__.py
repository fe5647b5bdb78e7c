"""Printed documents: the sources in ``reports/`` rendered to PDF."""
