"""Reports upward (统计报表): dashboards per grid node and period, the 月调度 and 季通报 documents, admin-configured
Excel layouts and the county roll-up — all from the measures each procedure declares (`Procedure.measures`)."""
