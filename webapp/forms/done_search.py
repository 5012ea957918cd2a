"""The 已办 search form (GET): 文号 or title, another person of the case, a date range."""

from __future__ import annotations

from wtforms import StringField

from webapp.cases.done_list import DoneSearch
from webapp.forms.common import ChineseForm, max_length, optional
from webapp.forms.widgets import CnDateField


class DoneSearchForm(ChineseForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    text = StringField("文号或标题", validators=[optional(), max_length(100)])
    person = StringField("经办人", validators=[optional(), max_length(50)],
                         description="案件中其他办理人的姓名，例如拟稿人")
    date_from = CnDateField("办理日期自", validators=[optional()])
    date_to = CnDateField("至", validators=[optional()])

    def search(self) -> DoneSearch:
        """What was entered and valid; a field with an error is left out of the search."""
        def value(field):
            return None if field.errors else field.data

        return DoneSearch(text=(value(self.text) or "").strip(), person=(value(self.person) or "").strip(),
                          date_from=value(self.date_from), date_to=value(self.date_to))
