"""WTForms classes: English field names (= service/template keys), Chinese labels and messages."""
