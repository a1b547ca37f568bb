"""Japanese name tables for the generated CRM data: people, companies and places.

Every entry pairs the Japanese form with a Hepburn romanization, because Japanese CRMs store
names in kanji or katakana while email addresses and domains are in ASCII.
"""

from __future__ import annotations

# fmt: off

# Common family names (surname first in Japanese order).
FAMILY_NAMES: tuple[tuple[str, str], ...] = (
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"),
    ("阿部", "abe"), ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"),
    ("石井", "ishii"), ("小川", "ogawa"), ("前田", "maeda"), ("岡田", "okada"),
    ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"), ("近藤", "kondo"),
    ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"), ("坂本", "sakamoto"),
    ("斉藤", "saito"), ("福田", "fukuda"), ("太田", "ota"), ("西村", "nishimura"),
    ("藤井", "fujii"), ("金子", "kaneko"), ("岡本", "okamoto"), ("藤原", "fujiwara"),
    ("中野", "nakano"), ("三浦", "miura"), ("原田", "harada"), ("中川", "nakagawa"),
    ("松田", "matsuda"), ("竹内", "takeuchi"), ("小野", "ono"), ("田村", "tamura"),
    ("中山", "nakayama"), ("和田", "wada"), ("石田", "ishida"), ("森田", "morita"),
    ("上田", "ueda"), ("原", "hara"), ("内田", "uchida"), ("柴田", "shibata"),
    ("酒井", "sakai"), ("宮崎", "miyazaki"), ("横山", "yokoyama"), ("高木", "takagi"),
    ("安藤", "ando"), ("宮本", "miyamoto"), ("大野", "ono"), ("小島", "kojima"),
    ("谷口", "taniguchi"), ("今井", "imai"), ("工藤", "kudo"), ("高田", "takada"),
    ("増田", "masuda"), ("丸山", "maruyama"), ("杉山", "sugiyama"), ("村田", "murata"),
    ("大塚", "otsuka"), ("新井", "arai"), ("小山", "koyama"), ("平野", "hirano"),
    ("藤本", "fujimoto"), ("河野", "kono"), ("上野", "ueno"), ("野口", "noguchi"),
    ("武田", "takeda"), ("松井", "matsui"), ("千葉", "chiba"), ("岩崎", "iwasaki"),
    ("菅原", "sugawara"), ("木下", "kinoshita"), ("久保", "kubo"), ("佐野", "sano"),
    ("野村", "nomura"), ("松尾", "matsuo"), ("市川", "ichikawa"), ("菊地", "kikuchi"),
)

GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("翔太", "shota"), ("大輔", "daisuke"), ("健太", "kenta"), ("拓也", "takuya"),
    ("直樹", "naoki"), ("大樹", "daiki"), ("亮", "ryo"), ("誠", "makoto"),
    ("隆", "takashi"), ("浩", "hiroshi"), ("健一", "kenichi"), ("和也", "kazuya"),
    ("達也", "tatsuya"), ("雄太", "yuta"), ("翼", "tsubasa"), ("蓮", "ren"),
    ("陽斗", "haruto"), ("悠真", "yuma"), ("湊", "minato"), ("颯太", "sota"),
    ("学", "manabu"), ("修", "osamu"), ("剛", "tsuyoshi"), ("聡", "satoshi"),
    ("智也", "tomoya"), ("慎也", "shinya"), ("圭介", "keisuke"), ("昌平", "shohei"),
    ("一郎", "ichiro"), ("太郎", "taro"), ("正樹", "masaki"), ("秀樹", "hideki"),
    ("康介", "kosuke"), ("裕太", "yuta"), ("俊介", "shunsuke"), ("哲也", "tetsuya"),
    ("美咲", "misaki"), ("陽子", "yoko"), ("恵", "megumi"), ("裕子", "yuko"),
    ("明美", "akemi"), ("真由美", "mayumi"), ("直子", "naoko"), ("久美子", "kumiko"),
    ("由美", "yumi"), ("智子", "tomoko"), ("愛", "ai"), ("彩", "aya"),
    ("麻衣", "mai"), ("沙織", "saori"), ("舞", "mai"), ("優子", "yuko"),
    ("結衣", "yui"), ("陽菜", "hina"), ("葵", "aoi"), ("さくら", "sakura"),
    ("千尋", "chihiro"), ("奈々", "nana"), ("香織", "kaori"), ("理恵", "rie"),
    ("京子", "kyoko"), ("幸子", "sachiko"), ("純子", "junko"), ("明日香", "asuka"),
    ("瞳", "hitomi"), ("紀子", "noriko"), ("早紀", "saki"), ("遥", "haruka"),
    ("美穂", "miho"), ("友美", "tomomi"), ("杏", "an"), ("凛", "rin"),
)

# Company name parts. A name is a stem plus a business word, with the legal form before or
# after it (株式会社 is written first or last by each company's own choice).
COMPANY_STEMS: tuple[tuple[str, str], ...] = (
    ("東和", "towa"), ("大和", "yamato"), ("富士", "fuji"), ("三和", "sanwa"),
    ("中央", "chuo"), ("北斗", "hokuto"), ("青葉", "aoba"), ("桜", "sakura"),
    ("旭", "asahi"), ("光", "hikari"), ("新星", "shinsei"), ("日本", "nihon"),
    ("東邦", "toho"), ("西日本", "nishinihon"), ("北陸", "hokuriku"), ("九州", "kyushu"),
    ("関西", "kansai"), ("東海", "tokai"), ("湘南", "shonan"), ("信越", "shinetsu"),
    ("山田", "yamada"), ("森永", "morinaga"), ("高砂", "takasago"), ("共栄", "kyoei"),
    ("協和", "kyowa"), ("昭和", "showa"), ("平成", "heisei"), ("丸紅", "marubeni"),
    ("明星", "myojo"), ("瑞穂", "mizuho"), ("白鳥", "shiratori"), ("若葉", "wakaba"),
    ("みらい", "mirai"), ("ひかり", "hikari-net"), ("あおぞら", "aozora"), ("つばさ", "tsubasa"),
    ("サクラ", "sakura-tec"), ("アオバ", "aoba-link"), ("ミライ", "mirai-works"),
    ("ハヤテ", "hayate"),
    ("ネクスト", "next"), ("グローバル", "global"), ("ユニオン", "union"), ("スマート", "smart"),
    ("クラウド", "cloud"), ("デジタル", "digital"), ("アルファ", "alpha"), ("オメガ", "omega"),
    ("ライズ", "rise"), ("ブライト", "bright"), ("フロンティア", "frontier"),
    ("ビジョン", "vision"),
    ("ゼニス", "zenith"), ("アーク", "arc"), ("リンク", "link"), ("コア", "core"),
    ("エイト", "eight-ho"), ("セブン", "seven"), ("トップ", "top"), ("ベスト", "best"),
    ("千代田", "chiyoda"), ("港", "minato"), ("品川", "shinagawa"), ("横浜", "yokohama"),
    ("名古屋", "nagoya"), ("大阪", "osaka"), ("神戸", "kobe"), ("京都", "kyoto"),
    ("札幌", "sapporo"), ("仙台", "sendai"), ("広島", "hiroshima"), ("福岡", "fukuoka"),
)

# (business word, romanization, industry picklist value it suggests)
COMPANY_WORDS: tuple[tuple[str, str, str], ...] = (
    ("製作所", "seisakusho", "製造"), ("工業", "kogyo", "製造"), ("電機", "denki", "製造"),
    ("精機", "seiki", "製造"), ("化学", "kagaku", "製造"), ("金属", "kinzoku", "製造"),
    ("製薬", "seiyaku", "医療・製薬"), ("メディカル", "medical", "医療・製薬"),
    ("システム", "system", "IT・通信"), ("ソリューションズ", "solutions", "IT・通信"),
    ("テクノロジー", "technology", "IT・通信"), ("ネットワークス", "networks", "IT・通信"),
    ("ソフト", "soft", "IT・通信"), ("データ", "data", "IT・通信"), ("テック", "tech", "IT・通信"),
    ("情報サービス", "joho", "IT・通信"), ("通信", "tsushin", "IT・通信"),
    ("商事", "shoji", "商社"), ("物産", "bussan", "商社"), ("トレーディング", "trading", "商社"),
    ("銀行", "bank", "金融"), ("証券", "securities", "金融"), ("リース", "lease", "金融"),
    ("キャピタル", "capital", "金融"), ("保険サービス", "hoken", "金融"),
    ("建設", "kensetsu", "建設・不動産"), ("不動産", "fudosan", "建設・不動産"),
    ("ハウス", "house", "建設・不動産"), ("設計", "sekkei", "建設・不動産"),
    ("運輸", "unyu", "物流"), ("ロジスティクス", "logistics", "物流"), ("倉庫", "soko", "物流"),
    ("食品", "shokuhin", "食品・飲料"), ("フーズ", "foods", "食品・飲料"),
    ("酒造", "shuzo", "食品・飲料"),
    ("ホールディングス", "holdings", "サービス"), ("サービス", "service", "サービス"),
    ("コンサルティング", "consulting", "コンサルティング"),
    ("パートナーズ", "partners", "コンサルティング"),
    ("人材センター", "jinzai", "人材"), ("キャリア", "career", "人材"),
    ("百貨店", "department", "小売"), ("リテール", "retail", "小売"), ("ストア", "store", "小売"),
    ("エナジー", "energy", "エネルギー"), ("電力", "denryoku", "エネルギー"),
    ("教育", "kyoiku", "教育"), ("アカデミー", "academy", "教育"),
    ("広告", "kokoku", "広告・メディア"), ("メディア", "media", "広告・メディア"),
)

# Legal forms with their weight among B2B companies and whether they come first.
LEGAL_FORMS: tuple[tuple[str, float, bool], ...] = (
    ("株式会社", 0.55, True),
    ("株式会社", 0.33, False),
    ("合同会社", 0.07, False),
    ("有限会社", 0.05, True),
)

# (prefecture, city, postal-code prefix, street sample, region team)
PLACES: tuple[tuple[str, str, str, str, str], ...] = (
    ("東京都", "千代田区", "100", "丸の内1-1-1", "東日本"),
    ("東京都", "港区", "105", "芝公園2-4-1", "東日本"),
    ("東京都", "渋谷区", "150", "渋谷2-21-1", "東日本"),
    ("東京都", "新宿区", "160", "西新宿2-8-1", "東日本"),
    ("東京都", "品川区", "141", "大崎1-11-2", "東日本"),
    ("東京都", "中央区", "104", "銀座4-6-16", "東日本"),
    ("神奈川県", "横浜市西区", "220", "みなとみらい2-2-1", "東日本"),
    ("神奈川県", "川崎市幸区", "212", "大宮町1-5", "東日本"),
    ("埼玉県", "さいたま市大宮区", "330", "桜木町1-7-5", "東日本"),
    ("千葉県", "千葉市美浜区", "261", "中瀬2-6-1", "東日本"),
    ("宮城県", "仙台市青葉区", "980", "中央1-3-1", "東日本"),
    ("北海道", "札幌市中央区", "060", "北五条西2-5", "東日本"),
    ("新潟県", "新潟市中央区", "950", "万代3-1-1", "東日本"),
    ("愛知県", "名古屋市中村区", "450", "名駅1-1-4", "西日本"),
    ("大阪府", "大阪市北区", "530", "梅田3-1-3", "西日本"),
    ("大阪府", "大阪市中央区", "541", "本町4-1-13", "西日本"),
    ("京都府", "京都市下京区", "600", "烏丸通塩小路下ル", "西日本"),
    ("兵庫県", "神戸市中央区", "650", "三宮町1-1-1", "西日本"),
    ("広島県", "広島市中区", "730", "紙屋町2-2-2", "西日本"),
    ("福岡県", "福岡市博多区", "812", "博多駅前2-1-1", "西日本"),
    ("福岡県", "福岡市中央区", "810", "天神1-8-1", "西日本"),
    ("静岡県", "静岡市葵区", "420", "紺屋町11-1", "西日本"),
)

JOB_TITLES: tuple[str, ...] = (
    "代表取締役", "取締役", "執行役員", "部長", "副部長", "課長", "係長", "主任",
    "マネージャー", "リーダー", "担当", "営業部長", "情報システム部長", "DX推進室長",
    "経営企画部 課長", "総務部 主任", "人事部長", "購買部 担当", "CTO", "CFO",
    "Sales Manager", "General Manager",
)

FREE_MAIL_DOMAINS: tuple[str, ...] = ("gmail.com", "yahoo.co.jp", "outlook.jp", "icloud.com")
