"""Stacked tables carry their column captions (data-label on each data cell), server-side, for the phone
layout."""

from webapp.web.stack_labels import label_stacked_tables

TABLE = ('<table class="stack rates">\n<thead><tr><th><span class="sr">选择</span></th><th>网"格</th>'
         '<th colspan="2">人数</th><th></th></tr></thead>\n<tbody><tr><td><input></td><td>甲</td>'
         '<td class="n">1</td><td data-label="自带">2</td><td></td></tr>\n'
         '<tr><td colspan="5">暂无</td></tr></tbody></table>')


def test_each_data_cell_gets_its_column_caption_and_content_stays():
    html = label_stacked_tables(TABLE)
    body = html.split("\n")[2]
    assert body == ('<tbody><tr><td data-label="选择"><input></td><td data-label="网&quot;格">甲</td>'
                    '<td data-label="人数" class="n">1</td><td data-label="自带">2</td><td></td></tr>')
    assert html.split("\n")[3] == TABLE.split("\n")[3]  # a spanning cell gets no caption


def test_other_tables_are_left_alone():
    plain = TABLE.replace('class="stack rates"', 'class="rates"')
    assert label_stacked_tables(plain) == plain


def test_header_row_without_thead_counts():
    html = label_stacked_tables('<table class="stack"><tr><th>甲</th></tr><tr><td>1</td></tr></table>')
    assert html == '<table class="stack"><tr><th>甲</th></tr><tr><td data-label="甲">1</td></tr></table>'


def test_unit_list_page_carries_its_captions(sign_in, small_town):
    html = sign_in("clerk").get("/units/").get_data(as_text=True)
    assert '<td data-label="单位名称">' in html and '<td data-label="类别">' in html
