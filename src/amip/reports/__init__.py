"""The Arbeitsmarkt- und Integrationsprogramm and the monthly controlling report (PDF, HTML, XLSX)."""
