"""Where stored files' bytes live: the backend setting and the database backend (the local folder is
`webapp.services.file_store`)."""
