"""Stacked tables carry their column captions (as CSS variables on the table), server-side, for the phone layout."""

from webapp.web.stack_labels import label_stacked_tables

TABLE = ('<table class="stack rates">\n<thead><tr><th><span class="sr">选择</span></th><th>网"格</th>'
         '<th colspan="2">人数</th><th></th></tr></thead>\n<tbody><tr><td><input></td><td>甲</td>'
         '<td>1</td><td>2</td><td></td></tr></tbody></table>')


def test_table_gets_each_column_caption_and_cells_stay_untouched():
    html = label_stacked_tables(TABLE)
    assert html.startswith('<table class="stack rates" style="--c1:&quot;选择&quot;;--c2:&quot;网\\&quot;格&quot;;'
                           '--c3:&quot;人数&quot;;--c4:&quot;人数&quot;">')
    assert html.removeprefix(html.split("\n")[0]) == TABLE.removeprefix(TABLE.split("\n")[0])


def test_other_tables_are_left_alone():
    plain = TABLE.replace('class="stack rates"', 'class="rates"')
    assert label_stacked_tables(plain) == plain


def test_header_row_without_thead_counts():
    html = label_stacked_tables('<table class="stack"><tr><th>甲</th></tr><tr><td>1</td></tr></table>')
    assert html.startswith('<table class="stack" style="--c1:&quot;甲&quot;">')


def test_unit_list_page_carries_its_captions(sign_in, small_town):
    html = sign_in("clerk").get("/units/").get_data(as_text=True)
    assert '<table class="stack" style="--c1:&quot;单位名称&quot;;--c2:&quot;类别&quot;' in html
