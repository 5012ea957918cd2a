"""Stacked tables get each column's caption on every cell, server-side, for the phone layout."""

import re

from webapp.web.stack_labels import label_stacked_tables

TABLE = ('<table class="stack rates">\n<thead><tr><th><span class="sr">选择</span></th><th>网格</th>'
         '<th colspan="2">人数</th></tr></thead>\n<tbody><tr><td><input></td><td data-label="自定">甲</td>'
         '<td>1</td><td>2</td></tr>\n<tr><td colspan="4">暂无</td></tr></tbody></table>')


def test_cells_get_their_header_and_keep_their_own_label():
    html = label_stacked_tables(TABLE)
    assert re.findall(r'<td[^>]*>', html) == [
        '<td data-label="选择">', '<td data-label="自定">', '<td data-label="人数">', '<td data-label="人数">',
        '<td colspan="4">']


def test_other_tables_are_left_alone():
    plain = TABLE.replace('class="stack rates"', 'class="rates"')
    assert label_stacked_tables(plain) == plain


def test_unit_list_cells_are_labelled_on_the_page(login_as):
    html = login_as("clerk").get("/units/").get_data(as_text=True)
    table = html[html.index('<table class="stack"'):html.index("</table>")]
    cells = re.findall(r"<td[^>]*>", table)
    assert cells and all("data-label=" in cell for cell in cells)
    assert '<td data-label="单位名称">' in table
