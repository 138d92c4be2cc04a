"""Export statistics: the monthly summary, outside exports, reports and their CSV/XLSX downloads."""
