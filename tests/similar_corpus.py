"""A corpus of realistic 网络问政 reports for the similar-cases bench (DESIGN §14).

``reports(n, seed)`` yields ``n`` reports shaped like those in tests/data/similar_pairs.jsonl
(title, content, district, category, lat, lng) plus ``paraphrase_of``: about one in twenty
is another citizen's report of a recent earlier one (the same concrete problem at the same
place, told in other words: another title, subject and predicate, other details, opening
and closing, the place maybe by another name, the point within ~130 m or none), and names
that earlier report's index; every other report has ``paraphrase_of`` None. So duplicates
exist at any scale and the bench knows which they are.

Reports are composed from the lists below by ``random.Random(seed)``: a problem (one
concrete symptom, in several phrasings), a place in the demo city 临江市 (streets,
intersections, house numbers, 小区 buildings, schools, markets, villages, each with a point
inside its district of infra/demo/districts.geojson), slots (since when, who, how many, a
year, an employer…), an opening and a closing (some of them long boilerplate). Two reports
that are not paraphrases rarely share more than boilerplate and a problem's wording; those
of the same problem at different places are the realistic near misses. Pure: no platform
imports; 100,000 reports take a few seconds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")

PARAPHRASE_SHARE = 0.05
PARAPHRASE_WINDOW = 300  # a paraphrase follows one of the last 300 originals (days, not years)
POINT_SHARE = 0.8  # placed problems come with a point this often; the rest give an address only
JITTER_DEG = 0.0004  # ~45 m: a citizen's pin around the place's point, on each axis


class District(NamedTuple):
    code: str
    label: str
    box: tuple[float, float, float, float]  # lat0, lat1, lng0, lng1, well inside the boundary
    streets: tuple[str, ...]
    estates: tuple[str, ...]
    pois: tuple[str, ...]
    villages: tuple[str, ...] = ()


# fmt: off
DISTRICTS = (
    District("jiangcheng", "江城区", (30.01, 30.09, 113.91, 113.99),
             ("解放路", "翠湖街", "中山路", "文昌路", "人民路", "建国路", "沿江路", "鼓楼巷"),
             ("翠湖小区", "纺织厂宿舍", "江城花园", "鼓楼新村", "文昌苑", "沿江名都"),
             ("东门菜市场", "人民广场", "江城中学", "江城区人民医院", "解放路小学",
              "临江大桥北桥头", "轮渡码头")),
    District("binhe", "滨河区", (30.01, 30.09, 114.01, 114.09),
             ("滨江大道", "望江路", "建设路", "滨河路", "长丰街", "新华路", "金桥路"),
             ("金色家园", "锦绣华庭", "滨河湾", "望江府", "长丰里", "新华还建小区"),
             ("滨河公园", "星河广场", "滨河实验小学", "滨河菜市场", "建设路公交站",
              "滨河区妇幼保健院")),
    District("gaoxin", "高新区", (29.91, 29.99, 114.01, 114.09),
             ("科技大道", "学府路", "创业路", "高新一路", "创新大道", "光华路", "园区三路"),
             ("阳光城", "未来城", "学府雅苑", "科创公寓", "光华里"),
             ("软件园", "高新区第二小学", "汇川化工厂", "工业园", "高新区管委会", "光华路地铁站")),
    District("xishan", "西山区", (29.91, 29.99, 113.91, 113.99),
             ("西山路", "和平街", "桂花路", "矿山路", "青石街", "松林路"),
             ("桂花苑", "矿机厂宿舍", "和平里", "松林小区", "西山新村"),
             ("青石桥", "西山公园", "西山中学", "西山农贸市场", "西山区中心医院", "西山客运站")),
    District("qingshui", "清水县", (30.13, 30.25, 113.91, 114.09),
             ("迎宾大道", "城关路", "清河街", "新民路"),
             ("清河湾小区", "城关镇新区", "柳湾集镇"),
             ("清水县人民医院", "清水河大桥", "清水县汽车站", "城关中学", "柳湾乡卫生院"),
             ("石门村", "柳湾村", "青龙村", "杨家坪村")),
    District("taoyuan", "桃源县", (29.93, 30.07, 114.13, 114.35),
             ("桃花路", "迎春路", "桃源大道", "工业大道"),
             ("桃花苑", "幸福小区", "桃源镇安置小区"),
             ("桃源县第一中学", "桃源汽车站", "桃源工业园", "桃源造纸厂", "桃源县人民医院"),
             ("梨园村", "桃花村", "枫树湾村", "李家冲村")),
    District("nanhu", "南湖县", (29.75, 29.88, 113.93, 114.07),
             ("南湖大道", "湖滨路", "渔港路", "沿湖路"),
             ("南湖花园", "南湖镇安置小区", "湖光小区"),
             ("南湖县实验小学", "南湖大桥", "南湖县中医院", "南湖镇卫生院", "南湖农贸市场"),
             ("渔港村", "湖滨新村", "荷塘村", "南岸村")),
    District("baiyun", "白云县", (29.93, 30.07, 113.67, 113.87),
             ("白云大道", "车站路", "云山路", "中医院路"),
             ("白云小区", "白云镇新区", "松风苑"),
             ("白云县汽车站", "白云县中医院", "白云山景区", "白云镇中心小学", "白云县农贸市场"),
             ("云山村", "山下村", "石板村", "竹林村")),
)
# fmt: on
RURAL = tuple(d for d in DISTRICTS if d.villages)


class Problem(NamedTuple):
    """One concrete symptom: every title, subject + predicate tells the same thing."""

    category: str
    # where it happens: x an intersection, n a house number, e a 小区 building, p a school,
    # market, park…, v a village; "" nowhere in particular (a policy matter)
    places: str
    titles: tuple[str, ...]
    subjects: tuple[str, ...]
    predicates: tuple[str, ...]
    details: tuple[str, ...]
    asks: tuple[str, ...]


# fmt: off
PROBLEMS = (
    Problem("urban", "xnepv",
        ("{p}路灯不亮", "{p}的路灯坏了没人修", "反映{p}路灯长期不亮", "{p}晚上黑灯瞎火"),
        ("{p}{s}的路灯", "{p}一带的{n}盏路灯", "每天晚上经过{p}，那里的路灯"),
        ("{t}一直不亮，晚上黑乎乎一片。", "{t}就坏了，到现在也没人来修。",
         "全都不亮了，{w}晚上只能摸黑走。"),
        ("前几天有人在这里摔倒了。", "打过热线，说会安排，但一直没动静。",
         "附近的学生下晚自习要从这里走。", "灯罩也掉了半个，电线露在外面。"),
        ("请尽快派人检修。", "希望早日把路灯修好。", "请路灯管理部门来看看。")),
    Problem("transport", "xnpv",
        ("{p}路面坑洼严重", "{p}有个大坑", "{p}路面破损车辆爆胎", "反映{p}道路破损"),
        ("{p}{s}的机动车道上", "{p}这段路", "{p}的路面"),
        ("塌了一个大坑，下雨积水根本看不出来。", "{t}出现了一个深坑，已经有{n}辆车在这里爆胎。",
         "陷下去一大块，车开过去颠得厉害。"),
        ("晚上骑电动车经过特别危险。", "大货车多，坑越压越大。", "下雨后泥水溅得行人一身。",
         "前两天有人在这里摔了一跤。"),
        ("请尽快修补路面。", "请交通部门安排维修。", "希望先设置警示标志，再尽快修复。")),
    Problem("urban", "xnep",
        ("{p}井盖缺失", "{p}井盖丢了有安全隐患", "{p}的窨井没有盖子"),
        ("{p}{s}人行道上的井盖", "{p}的一个窨井盖", "{p}路边的下水井盖"),
        ("{t}就不见了，只剩一个黑洞。", "被人偷走了，井口就这么敞着。",
         "丢了好些天，一直没人来补。"),
        ("现在只用几块砖头围着。", "有个{w}差点踩进去。", "晚上根本看不清。",
         "已经拨打过热线反映。"),
        ("请市政部门尽快补装。", "麻烦尽快处理，别等出了事再管。", "请相关权属单位来处理。")),
    Problem("urban", "xn",
        ("{p}井盖松动车过就响", "{p}井盖哐当响扰民", "{p}的井盖一压就响"),
        ("{p}{s}机动车道上的井盖", "{p}门口马路上的一个井盖", "{p}路中间的窨井盖"),
        ("松动了，车压过去就哐当一声。", "{t}一有车过就咣咣响。",
         "不平整，车一压就响，半夜特别明显。"),
        ("沿街住户整夜睡不好。", "大货车半夜经过更吵。", "家里老人被吵得神经衰弱。",
         "反映过一次，垫了块胶皮没用。"),
        ("请加固或更换井盖。", "请尽快处理。", "能不能换个新的？")),
    Problem("utilities", "nev",
        ("{p}停水没有通知", "{p}什么时候恢复供水", "{p}停水{n}天了"),
        ("{p}", "我家住{p}，这里", "{p}的住户家里"),
        ("从前天早上开始停水，到现在还没来水。", "这次停水已经{n}天了，一直没有恢复。",
         "突然就没水了，事先没有任何通知。"),
        ("家里有老人和婴儿，生活很不方便。", "只能买桶装水做饭。", "打自来水公司电话一直占线。",
         "物业说不是他们的问题。"),
        ("请问什么时候能恢复供水？", "请水务部门说明原因。", "以后停水能不能提前通知？")),
    Problem("utilities", "nev",
        ("{p}自来水发黄", "{p}自来水浑浊有铁锈味", "{p}的自来水还能不能喝"),
        ("{p}的自来水", "我们{p}的水", "{p}家里的自来水"),
        ("{t}经常发黄，放很久才变清。", "一打开就是黄汤，还有铁锈味。",
         "{t}又黄又浑，烧开了也有沉淀。"),
        ("烧开后壶底有一层沉淀。", "洗衣服都被染黄了。", "不少老人还在直接喝。",
         "怀疑是管道老化生锈。"),
        ("请水务部门检测一下水质。", "请尽快查明原因。", "希望给居民一个说法。")),
    Problem("urban", "xnep",
        ("{p}下水道堵塞", "{p}污水外溢臭味大", "{p}的下水道往外冒水"),
        ("{p}{s}的下水道", "{p}的污水井", "{p}门口的排水管"),
        ("堵了{t}，污水从井盖往外冒。", "又堵了，脏水漫到路上，臭烘烘的。", "{t}一直往外冒黑水。"),
        ("行人只能踮着脚走。", "门口的商户生意都没法做。", "天一热味道更大。",
         "疏通过一次，没几天又堵了。"),
        ("请市政部门尽快疏通。", "希望彻底改造排水管。", "请安排人来处理。")),
    Problem("environment", "xnep",
        ("{p}附近工地夜间施工扰民", "{p}旁边工地半夜还在施工", "投诉{p}工地噪音"),
        ("{p}{s}的工地", "{p}对面的建筑工地", "{p}旁边那个工地"),
        ("{t}每天晚上施工到凌晨，打桩声吵得人睡不着。", "半夜还在干活，机器轰鸣、渣土车进进出出。",
         "{t}天天通宵施工，一直干到天亮。"),
        ("家里老人孩子根本无法休息。", "投诉了好几次，白天停晚上照干。",
         "不知道有没有夜间施工许可。", "工地的灯光也直接照进屋里。"),
        ("请环保部门夜间来查一查。", "请依法查处夜间违规施工。", "还居民一个安静的夜晚。")),
    Problem("transport", "xnp",
        ("{p}人行道违停严重", "{p}车辆乱停乱放", "{p}人行道被车占满"),
        ("{p}{s}的人行道", "{p}这一段的人行道", "{p}门口的人行道"),
        ("每天停满了车，行人只能走机动车道。", "一到晚上就被乱停的车占满，{w}过都过不去。",
         "{t}天天有车停在上面，越来越严重。"),
        ("有的车直接压在盲道上。", "推婴儿车、坐轮椅的根本过不去。", "上下班时间最严重。",
         "贴过罚单也没用。"), ("请交警加强巡查处罚。", "建议安装隔离桩。", "请相关部门管一管。")),
    Problem("urban", "xnp",
        ("{p}占道经营", "{p}摊贩占道影响通行", "{p}马路被摆摊的占了"),
        ("{p}", "{p}{s}", "{p}的路边"),
        ("每天早上都有很多摊贩摆摊，把路堵了一半。", "一到傍晚就被卖菜卖水果的摊子占满。",
         "{t}流动摊贩越来越多，车和人都过不去。"),
        ("地上污水横流，垃圾也没人收。", "三轮车也停在路中间。", "公交车都过不去。",
         "城管来了就跑，走了又来。"),
        ("请城管部门规范管理。", "建议引导摊贩进市场经营。", "希望彻底整治。")),
    Problem("environment", "nepv",
        ("{p}垃圾清运不及时", "{p}垃圾堆积如山", "{p}的垃圾好几天没人收"),
        ("{p}{s}的垃圾点", "{p}的垃圾桶", "{p}的垃圾站"),
        ("{t}都没人清运，垃圾堆得满地都是。", "天天满得溢出来，没人来拉。",
         "已经{n}天没清了，越堆越多。"),
        ("天热臭气熏天，苍蝇老鼠很多。", "旁边就是幼儿园。", "路过都要捂着鼻子。",
         "还有人往里面倒装修垃圾。"), ("请环卫部门按时清运。", "请增加清运次数。", "请尽快清理。")),
    Problem("environment", "xnepv",
        ("{p}附近工厂排放异味", "{p}一带晚上有刺鼻气味", "{p}周边工厂偷排废气"),
        ("{p}周边", "{p}一带", "住在{p}，我们这里"),
        ("{t}一到晚上就有一股刺鼻的气味，像是附近工厂在偷排。",
         "每天半夜都能闻到一股化工味，像烂鸡蛋又像油漆。",
         "的空气{t}夜里特别难闻，关上窗户都挡不住。"),
        ("白天没有，晚上特别明显。", "孩子咳嗽了好几天。", "闻了头晕恶心。",
         "周边几个小区都闻得到。"),
        ("请环保部门夜间突击检查。", "强烈要求查处偷排企业。", "请查一查是哪家企业。")),
    Problem("transport", "xnep",
        ("{p}公交班次太少", "{p}等公交要半小时", "建议加密经过{p}的公交"),
        ("{p}这边的公交", "经过{p}的公交车", "{p}附近的公交线路"),
        ("经常要等半个多小时，来了也挤不上去。", "班次太少，{w}出行很不方便。",
         "{t}越来越难等，早高峰根本挤不上。"),
        ("早高峰最严重。", "末班车太早，加班后只能打车。", "老人去医院要转两趟车。",
         "站台也没有遮雨棚。"), ("请公交公司加密班次。", "希望增开线路。", "请考虑群众出行需要。")),
    Problem("education", "e",
        ("住{p}孩子上学被调剂", "{p}学区内学位不足", "关于{p}孩子入学的问题"),
        ("我家住{p}，孩子今年上{g}，", "我们是{p}的住户，孩子要读{g}，", "{p}的孩子今年上{g}，"),
        ("报名时被告知学位已满，要调剂到很远的学校。",
         "对口学校说学位不够，让我们去五公里外的学校。",
         "户口和房子都在学区内，却被告知没有学位了。"),
        ("家长们都很着急。", "附近几个小区都有这个情况。", "打教育局电话一直没人接。",
         "买房的时候说好是对口的。"),
        ("请教育局给个准确答复。", "请问有什么办法能就近入学？", "请公开学区划分和学位情况。")),
    Problem("health", "",
        ("医保报销{n}个月还没到账", "在{h}住院的医保报销迟迟不到", "我{r}的异地就医报销审核太慢"),
        ("我{r}{y}年{m}月在{h}住院，", "我{r}在{h}做了手术，", "我们家{r}去年在{h}住院，"),
        ("回来交了医保报销材料，到现在{n}个月了还没到账。",
         "异地就医备案也办了，报销材料交上去一直说在审核。",
         "报销款迟迟不到，问了几次都说在走流程。"),
        ("医药费有{a}，都是借的。", "打医保中心电话经常没人接。", "材料都按要求交齐了。",
         "家里经济压力很大。"), ("请问正常审核周期是多久？", "麻烦医保局催一催。", "请尽快办理。")),
    Problem("social_security", "",
        ("{m}月份养老金未按时到账", "{y}年退休人员养老金未到账", "我{r}这个月养老金怎么还没发"),
        ("我是{y}年退休的企业职工，", "我{r}是{y}年办的退休，", "我们家{r}是退休职工，"),
        ("这个月的养老金到现在还没到账。", "往月都是十号前发，这个月过了二十号还没有。",
         "本月养老金一直没有收到。"),
        ("问了社区也说不清楚。", "很多老人都指望这点钱过日子。", "打12333一直占线。",
         "周围的退休职工都是这样。"),
        ("请问是什么原因？", "请尽快发放。", "麻烦查一下是不是出了问题。")),
    Problem("housing", "",
        ("人才住房补贴迟迟未发放", "{y}年人才住房补贴什么时候发", "住房补贴公示{n}个月还没到账"),
        ("我是{y}年来临江就业的毕业生，", "我{y}年通过了人才认定，",
         "我们单位{y}年入职的一批毕业生，"),
        ("住房补贴审核公示过了，至今一分钱没有发放。",
         "按政策每月有住房补贴，公示都过了{n}个月还没到账。", "补贴名单早就公示了，钱一直没有发。"),
        ("咨询人才办说在走财政流程。", "房租占了工资的一半。", "同一批的同事也都没收到。",
         "去窗口问了三次。"), ("请问具体什么时候发放？", "请给个准信。", "请公开发放进度。")),
    Problem("utilities", "e",
        ("{p}供暖温度不达标", "{p}暖气不热", "{p}交了暖气费家里还是冷"),
        ("{p}的集中供暖", "我家住{p}，暖气", "{p}今年的暖气"),
        ("{t}很不热，室内只有十四五度。", "暖气片摸着是温的，屋里冷冰冰。",
         "一直不达标，供暖公司说在调试。"),
        ("暖气费一分没少交。", "家里老人穿着羽绒服在屋里。", "孩子已经感冒了。",
         "打供暖公司电话没人处理。"),
        ("请督促供暖公司整改。", "温度不达标能否退费？", "请尽快解决。")),
    Problem("utilities", "ne",
        ("{p}燃气管道漏气", "{p}有一股燃气味", "{p}燃气泄漏隐患"),
        ("{p}{s}的燃气管道", "{p}楼下的燃气管", "{p}单元门口的天然气管"),
        ("接口处有明显的燃气味，{t}一直没好。", "附近一股煤气味，早上最明显。",
         "{t}总闻到燃气味，怀疑漏气。"),
        ("燃气公司来看过一次就走了。", "邻居们都闻到了。", "楼里住的多是老人。",
         "这是安全大事，万一出事谁负责？"), ("请燃气公司彻底排查。", "请尽快处理。", "请重视！")),
    Problem("housing", "e",
        ("{p}物业擅自涨物业费", "{p}物业费说涨就涨", "投诉{p}物业违规调价"),
        ("{p}的物业公司", "{p}物业", "我们{p}的物业"),
        ("没有开业主大会就把物业费上调了一截。", "一声不吭把物业费涨了三成。",
         "{t}擅自提高了物业费标准。"),
        ("不交钱就不给办门禁卡。", "服务越来越差，垃圾没人收。", "业委会一直成立不起来。",
         "向街道反映过也没用。"),
        ("请住建部门介入。", "请查一查物业涨价是否合法。", "请有关部门为业主做主。")),
    Problem("housing", "e",
        ("{p}物业占用公共道路收停车费", "{p}小区路边停车也要收钱", "{p}停车费去向不明"),
        ("{p}物业", "{p}的物业公司", "我们{p}的物业"),
        ("在小区公共道路上画了车位，每月收三百元停车费。",
         "把小区主干道两边划成车位收钱，不交就锁车。", "占用公共道路收停车费，收入从来不公开。"),
        ("路是全体业主共有的。", "业主要求公开账目被拒绝。", "消防通道也被画成了车位。",
         "向街道反映过也没用。"),
        ("请房管部门查处。", "请督促物业公开收支。", "请有关部门为业主做主。")),
    Problem("social_security", "",
        ("{o}拖欠工资", "{o}欠薪{n}个月", "{o}工人讨薪求助"),
        ("我们在{o}干活，", "我是{o}的工人，", "我们十几个工友在{o}做事，"),
        ("工资已经拖欠了{n}个月，老板一直说没钱。", "一共被欠了{a}工资，老板电话也不接了。",
         "{n}个月没发工资了，包工头和公司互相推。"),
        ("家里等着钱用。", "去劳动监察大队登记过。", "马上要过年了。", "公司现在已经停工了。"),
        ("请人社部门帮我们讨回工资。", "求政府帮帮我们。", "请劳动监察部门处理。")),
    Problem("market", "xnp",
        ("{p}一家{k}卫生太差", "在{p}的{k}吃坏了肚子", "{p}{k}食品安全问题"),
        ("{p}{s}的一家{k}", "{p}附近那家{k}", "{p}新开的{k}"),
        ("卖的东西有异味，我们吃完全家都拉肚子。", "食材不新鲜，吃完上吐下泻。",
         "吃了以后肚子疼了一晚上，去医院说是食物中毒。"),
        ("找老板理论，老板不承认。", "还保留着付款记录。", "后厨看着很脏。", "同去的朋友也一样。"),
        ("请市场监管部门检查。", "请依法查处。", "希望加强监管。")),
    Problem("public_safety", "xnepv",
        ("{p}流浪狗伤人", "{p}流浪狗成群", "{p}的野狗谁来管"), ("{p}{s}", "{p}附近", "{p}一带"),
        ("最近聚集了{n}条流浪狗，早晚追着人叫。", "有一群野狗，{t}已经咬伤了人。",
         "流浪狗越来越多，{w}都不敢走。"),
        ("有个老人被咬去打了狂犬疫苗。", "孩子吓得不敢出门。", "晚上还到处翻垃圾。",
         "有人在喂，越聚越多。"),
        ("请有关部门尽快收容。", "请问这种流浪狗归谁管？", "请尽快处理。")),
    Problem("urban", "xnp",
        ("{p}一下雨就积水", "{p}积水严重", "{p}内涝问题"), ("{p}", "{p}{s}", "{p}这一片"),
        ("每次下大雨都积水半米深，车辆熄火被困。", "地势低，雨水排不出去，一下雨就成了河。",
         "{t}下了几场雨，次次都淹，水都漫进了商铺。"),
        ("排水泵好像坏了。", "雨水口被垃圾堵住了。", "每年都反映每年都淹。",
         "有人在积水里摔倒了。"),
        ("请检修排水设施。", "请彻底解决排水问题。", "积水时请设置警示。")),
    Problem("urban", "xnp",
        ("{p}行道树枯枝掉落", "{p}枯树枝砸人砸车", "{p}的树该修剪了"),
        ("{p}{s}的行道树", "{p}的几棵大树", "{p}路边的树"),
        ("有很多枯枝，一刮风就往下掉。", "上有枯死的大树枝，随时会掉下来。",
         "{t}不停掉枯枝，地上全是断枝。"),
        ("前两天砸坏了一辆电动车。", "下面就是公交站。", "路上行人很多。",
         "刮大风的时候太危险了。"), ("请园林部门尽快修剪。", "请派人处理。", "希望及时养护。")),
    Problem("housing", "e",
        ("{p}加装电梯审批太慢", "{p}老楼加装电梯没下文", "{p}加装电梯申请卡住了"),
        ("我们{p}", "{p}的住户", "{p}"),
        ("全体业主签字同意加装电梯，材料交上去{n}个月没有下文。", "加装电梯的申请{t}一直卡在审批。",
         "想加装电梯，资金都凑齐了，可审批迟迟批不下来。"),
        ("楼里大多是七八十岁的老人。", "资金已经凑齐了。", "老人下楼看病很难。",
         "社区说在等规划审批。"),
        ("请加快审批。", "请问流程到底要多久？", "老人等不起，恳请加快办理。")),
    Problem("other", "ev",
        ("{p}只能装一家宽带", "{p}宽带被一家垄断", "{p}其他运营商进不来"),
        ("{p}", "我们{p}", "{p}的住户"),
        ("只能装一家运营商的宽带，其他的说物业不让进。", "想换宽带，别家运营商都说进不了场。",
         "物业跟一家运营商签了独家，别人装不了。"),
        ("价格比外面贵一倍。", "晚上网速慢得看不了视频。", "孩子上网课经常掉线。",
         "客服只会让重启光猫。"),
        ("请通信管理部门协调。", "请查一查是否存在垄断。", "这种情况有人管吗？")),
    Problem("environment", "ep",
        ("{p}广场舞噪音扰民", "{p}晚上跳舞音响太吵", "{p}广场舞音量太大"),
        ("{p}{s}", "{p}", "{p}旁边的空地上"),
        ("每天晚上有人跳广场舞，音响开得特别大。", "几支广场舞队晚上比着放音乐，一直到十点多。",
         "{t}每晚广场舞的喇叭吵得人没法休息。"),
        ("关上窗户都听得很清楚。", "孩子没法写作业。", "老人心脏不好受不了。", "去沟通了也不听。"),
        ("请有关部门管一管音量。", "请规定活动时间。", "希望还居民安宁。")),
    Problem("environment", "xne",
        ("{p}烧烤油烟扰民", "{p}露天烧烤熏到半夜", "{p}油烟熏得没法开窗"),
        ("{p}{s}的烧烤摊", "{p}楼下的烧烤", "{p}的几家大排档"),
        ("油烟直接往居民楼里飘，一直营业到凌晨。", "每天晚上烟熏火燎，喝酒划拳声不断。",
         "{t}天天晚上在露天烧烤，油烟呛人。"),
        ("衣服都不敢晾在外面。", "窗户都被熏黑了。", "投诉多次，城管来了走了又摆。",
         "凌晨还有人喝酒吵架。"), ("请城管和环保部门整治。", "请依法查处。", "请尽快处理。")),
    Problem("transport", "x",
        ("{p}红绿灯故障", "{p}信号灯一直闪黄灯", "{p}红绿灯坏了"),
        ("{p}的红绿灯", "{p}的交通信号灯", "{p}路口的信号灯"),
        ("{t}一直黄灯闪烁，车辆抢行很危险。", "坏了，四个方向的车都往里挤。",
         "{t}时好时坏，经常只闪黄灯。"),
        ("早晚高峰特别堵。", "差点发生事故。", "也没有交警指挥。", "路口是学生上学必经之路。"),
        ("请交警尽快修复。", "请尽快派人维修。", "修好之前请安排人指挥。")),
    Problem("transport", "x",
        ("{p}行人绿灯时间太短", "{p}过马路绿灯太短", "建议延长{p}行人绿灯"),
        ("{p}的行人信号灯", "{p}过马路的绿灯", "{p}人行横道的绿灯"),
        ("只有十几秒，老人走到一半就变红灯了。", "时间太短，马路又宽，{w}根本走不过去。",
         "一闪就没了，走到路中间车就动了。"),
        ("车子按喇叭催，太吓人了。", "路口是双向六车道。", "旁边就是菜场，老人多。",
         "已经有人被擦碰过。"),
        ("请延长行人绿灯时间。", "请交警优化信号配时。", "能不能把绿灯调长点？")),
    Problem("public_safety", "e",
        ("{p}电梯频繁故障", "{p}电梯困人", "{p}电梯三天两头坏"),
        ("{p}的电梯", "{p}的两部电梯", "{p}那部电梯"),
        ("{t}坏了好几次，还困过人。", "三天两头出故障，前几天又把人关在里面。",
         "频繁故障停运，修好没几天又坏。"),
        ("有老人被困了四十分钟。", "维保人员很久才来。", "物业每次说修好了，过两天又坏。",
         "楼里老人只能困在家里。"),
        ("请特种设备监管部门检查。", "请督促物业彻底检修。", "这电梯还能不能用？请来查一查。")),
    Problem("public_safety", "e",
        ("{p}高空抛物", "{p}有人往楼下扔东西", "{p}高空抛物屡禁不止"),
        ("{p}", "{p}楼上", "{p}一带"),
        ("{t}经常有人往楼下扔酒瓶、剩饭。", "又有人高空抛物，差点砸到人。",
         "不知道哪家天天往下扔东西。"),
        ("砸坏了楼下停的电动车。", "离一个小孩只有一米远。", "物业说查不到是谁。",
         "装了摄像头也没用。"), ("请派出所介入调查。", "请物业加装监控。", "请严肃处理。")),
    Problem("urban", "xnp",
        ("{p}共享单车乱堆", "{p}共享单车占道", "{p}单车堆成山"),
        ("{p}{s}", "{p}门口", "{p}的人行道上"),
        ("每天早上堆满了共享单车，人行道和盲道全被占了。", "共享单车越堆越多，好多还是坏的。",
         "单车停得横七竖八，行人只能走机动车道。"),
        ("运营公司也不来调度。", "推婴儿车过不去。", "下班高峰更严重。", "有的车已经锈了。"),
        ("请督促单车企业清理。", "请划定停放区域。", "请城管管一管。")),
    Problem("urban", "e",
        ("{p}违章搭建", "{p}有人私搭乱建", "举报{p}违法建设"),
        ("{p}一楼的住户", "{p}顶楼的业主", "{p}{s}的一户人家"),
        ("把公共绿地围起来盖了一间砖房。", "{t}在搭铁皮房，还在继续加高。",
         "私自扩建了一大间，占了公共通道。"),
        ("影响了邻居采光。", "物业制止不了。", "天天电钻声。", "担心影响楼体安全。"),
        ("请城管执法部门依法拆除。", "请尽快查处。", "请有关部门核查。")),
    Problem("utilities", "nev",
        ("{p}频繁停电", "{p}停电没有通知", "{p}三天两头停电"), ("{p}", "{p}一带", "我们{p}"),
        ("{t}停了好几次电，有时一停就是半天。", "隔三岔五就停电，事先从不通知。",
         "{t}经常突然断电，几个小时才来。"),
        ("冰箱里的东西都坏了。", "家里有老人用制氧机。", "店里没法营业。", "供电所说线路老化。"),
        ("请供电公司查明原因。", "请尽快改造线路。", "停电请提前通知。")),
    Problem("housing", "",
        ("公积金APP提取一直报错", "{m}月份公积金租房提取办不了", "公积金网上提取系统故障"),
        ("我在公积金APP上办租房提取，", "这几天用手机办公积金提取，",
         "我{m}月份开始申请公积金提取，"),
        ("每次提交都提示系统错误。", "到最后一步就报错，试了十几次都不行。",
         "一直提交失败，页面显示请稍后再试。"),
        ("同事也遇到一样的情况。", "去柜台要请假排队。", "打客服电话说不清楚。",
         "房东等着要房租。"), ("请尽快修复系统。", "是系统出了问题吗？", "请给个明确答复。")),
    Problem("social_security", "",
        ("灵活就业社保{m}月份交不进去", "社保缴费通道一直未开放", "{y}年参保的灵活就业人员缴费难"),
        ("我是灵活就业人员，", "我{y}年开始以灵活就业身份交社保，", "我{r}是灵活就业参保的，"),
        ("这个月社保一直交不进去，提示通道未开放。", "本月缴费一直显示通道未开放。",
         "手机上缴费总是失败，说通道关闭。"),
        ("眼看月底就要断缴了。", "打12333打不进去。", "跑了两趟社保大厅。",
         "担心影响以后的养老待遇。"),
        ("请问什么时候能交？", "断缴会不会影响待遇？", "请尽快解决。")),
    Problem("market", "",
        ("{c}关门跑路", "{c}预付卡不退费", "{c}卷款失联"),
        ("我在{c}办了卡，", "家里人在{c}办了会员卡，", "我{y}年在{c}充了钱，"),
        ("还剩{a}没用完，现在门都锁了，老板联系不上。", "上周突然关门，老板失联，卡里的钱退不了。",
         "店说关就关了，剩下的钱一直不给退。"),
        ("群里一百多人都是这样。", "前台把我们都拉黑了。", "刚充值没多久。",
         "合同上写着可以退费。"), ("请市场监管部门介入。", "请帮我们维权。", "请依法处理。")),
    Problem("agriculture", "v",
        ("{p}通村公路破损", "{p}的路烂得没法走", "{p}村道坑洼不平"),
        ("{p}的通村路", "{p}进村的水泥路", "{p}到镇上的路"),
        ("到处是坑，下雨天一脚泥。", "修了十几年，路面全碎了。", "{t}被大车压得坑坑洼洼，没人修。"),
        ("三轮车经常翻。", "学生上学很不方便。", "找过镇里几次没结果。", "农产品运不出去。"),
        ("请列入农村公路修缮计划。", "希望领导来实地看看。", "请尽快维修。")),
    Problem("agriculture", "v",
        ("{p}灌溉水渠堵塞", "{p}农田没水灌溉", "{p}水渠被堵影响春耕"),
        ("{p}的灌溉水渠", "{p}田边的水渠", "{p}几十亩田的水渠"),
        ("被修路的土方堵死了，水过不来。", "{t}被堵住了，田里干得开裂。",
         "被工程渣土填了一半，放不了水。"),
        ("正是育秧的时候。", "找施工队他们说不归他们管。", "庄稼都受影响了。",
         "村里反映了好几次。"),
        ("请协调尽快疏通。", "请水利站来看看。", "请尽快处理，别误了农时。")),
    Problem("health", "",
        ("{l}挂号排队太久", "{l}挂个号要两小时", "建议{l}增加挂号窗口"),
        ("在{l}看病，", "带{r}去{l}看病，", "前几天去{l}，"),
        ("挂个号排了两个小时，窗口只开了两个。", "六点多就去排队，挂上号快九点了。",
         "排队挂号的人太多，等了一上午。"),
        ("自助机也是坏的。", "老人站得腿都麻了。", "网上预约根本约不到。", "不知道该向谁反映。"),
        ("请医院增加窗口。", "请卫健部门督促改进。", "希望改善就医体验。")),
    Problem("public_safety", "e",
        ("{p}消防通道被堵", "{p}楼道堆满杂物", "{p}消防安全隐患"),
        ("{p}的消防通道", "{p}的楼道", "{p}{s}的安全出口"),
        ("被杂物和电动车堵得严严实实。", "{t}一直堆着纸箱旧家具，物业不清理。",
         "被锁上了，还堆满了东西。"),
        ("有人在楼道里给电动车充电。", "消防栓箱子也是空的。", "一旦着火后果不堪设想。",
         "说了好几次没人管。"), ("请消防部门检查整治。", "请督促物业清理。", "请尽快处理。")),
    Problem("housing", "ne",
        ("{p}外墙瓷砖脱落", "{p}楼上掉瓷砖", "{p}外墙脱落伤人隐患"),
        ("{p}的外墙瓷砖", "{p}外墙", "{p}{s}的墙面"),
        ("{t}一块一块往下掉。", "大面积脱落，前天差点砸到人。", "开裂起鼓，碎片不时掉下来。"),
        ("砸坏了楼下停的电动车。", "楼下是老人晒太阳的地方。", "老小区没有物业。",
         "找社区说没钱修。"), ("请住建部门尽快处理。", "请社区协调维修。", "要等出事才管吗？")),
)
# fmt: on

# fmt: off
SINCE = ("从上周开始", "这半个月", "一个多月来", "从春节后", "最近几天", "入夏以来",
         "从上个月中旬起", "这两个星期", "近三个月", "从国庆节后", "今年以来")
SIDES = ("东侧", "西侧", "南侧", "北侧", "东北角", "西南角", "附近", "对面", "旁边")
WHO = ("老人", "小孩", "上下班的人", "附近居民", "学生", "骑电动车的", "推婴儿车的", "外卖骑手")
NUMBERS = ("两", "三", "四", "五", "六", "七", "八")
YEARS = tuple(str(year) for year in range(2012, 2024))
MONTHS = tuple(str(month) for month in range(1, 13))
GROUPS = ("一", "二", "三", "四", "五", "六", "七", "八", "九")  # 村民小组
RELATIVES = ("父亲", "母亲", "爷爷", "奶奶", "岳母", "爱人")
AMOUNTS = ("三千多元", "五千元", "八千多", "一万二", "两万多", "三万多元", "六千元")
HOSPITALS = ("省人民医院", "省肿瘤医院", "省城一家三甲医院", "外省的一家医院", "省妇幼保健院",
             "省中医院")
LOCAL_HOSPITALS = ("市第一人民医院", "市中心医院", "市中医院", "市妇幼保健院", "市第二人民医院",
                   "市儿童医院")
GRADES = ("一年级", "初一", "幼儿园小班")
EATERIES = ("快餐店", "米粉店", "烧烤店", "面馆", "早点摊", "火锅店", "奶茶店", "麻辣烫店")
FIRMS = ("鑫源", "恒泰", "华晟", "金诚", "宏达", "瑞丰", "新锐", "盛世", "嘉禾", "永兴", "天润",
         "博远", "中联", "建宏")
EMPLOYERS = ("建筑劳务公司", "物流公司", "餐饮公司", "电子厂", "服装厂", "装饰公司", "家政公司",
             "保安公司", "食品厂", "汽配厂")
SHOPS = ("健身会所", "教育培训中心", "美发店", "游泳馆", "英语学校", "舞蹈培训班", "瑜伽馆",
         "洗车店")
OPENINGS = ("", "", "", "", "", "您好，", "你好！", "尊敬的领导您好！", "领导好：", "市长您好，",
            "各位领导辛苦了。", "我是附近的居民，", "我想反映一个问题：",
            "您好，我是一名普通市民，",
            "尊敬的领导您好！我是临江市的一名普通市民，冒昧打扰，想反映一个困扰我们很久的问题。",
            "您好！现就以下问题向贵部门反映，恳请予以核实处理：")
CLOSINGS = ("", "", "", "谢谢！", "谢谢。", "麻烦了！", "盼回复。", "请尽快给个答复。",
            "希望早日解决。", "辛苦了！", "恳请相关部门尽快处理，谢谢！",
            "以上问题持续时间较长，严重影响周边群众正常生活，"
            "恳请相关部门高度重视，尽快调查处理，给老百姓一个满意的答复。谢谢！",
            "特此反映，望予以重视并及时回复处理结果。")
TITLE_FRAMES = ("{}", "{}", "{}", "{}", "关于{}的问题", "{}，请尽快处理", "{}！", "{}，谁来管管",
                "强烈要求解决{}的问题", "求助：{}", "{}（已多次反映）", "{}，盼回复")
EXTRAS = ("这个问题之前在12345反映过，答复说会处理，但一直没有下文。",
          "身边很多人都遇到了同样的问题。", "不知道这件事归哪个部门管，只好在这里留言。",
          "相关材料和照片都可以提供。", "我们也理解政府工作忙，但这事确实拖得太久了。")
PLACE_EXTRAS = (*EXTRAS, "附近居民都很有意见。", "希望领导能来实地看一看。",
                "社区也来看过，说要上报。", "我在这里住了十几年了，以前从没这样过。",
                "周围好几个邻居都准备一起反映。")
UNFRAMED = ("关于", "反映", "投诉", "建议", "举报", "求助")  # a title that frames itself already
UNFRAMED_WORDS = ("问题", "什么", "怎么", "能不能", "谁")  # no frame fits a question
# fmt: on


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    """``rng.choice`` without its checks: choosing is most of the corpus's time."""
    return items[int(rng.random() * len(items))]


def _place_points() -> dict[tuple[str, str], tuple[float, float]]:
    """Each named place's point, drawn once inside its district's box (the same every run)."""
    rng = random.Random(20240614)
    points = {}
    for d in DISTRICTS:
        lat0, lat1, lng0, lng1 = d.box
        for name in (*d.streets, *d.estates, *d.pois, *d.villages):
            points[d.code, name] = (rng.uniform(lat0, lat1), rng.uniform(lng0, lng1))
    return points


POINTS = _place_points()


class Place(NamedTuple):
    name: str  # as the report first names it
    alias: str  # how another citizen may name it
    lat: float
    lng: float


class Recipe(NamedTuple):
    """What makes a report this concrete problem: a paraphrase reuses it."""

    position: int  # in the corpus
    problem: Problem
    district: str
    label: str
    place: Place | None
    slots: dict[str, str]
    choice: tuple[int, int, int]  # title, subject, predicate
    has_point: bool


def _place(rng: random.Random, d: District, kinds: str) -> Place:
    kind = _pick(rng, kinds if d.villages else kinds.replace("v", ""))
    if kind == "v":
        village = _pick(rng, d.villages)
        lat, lng = POINTS[d.code, village]
        name = f"{village}{_pick(rng, GROUPS)}组" if rng.random() < 0.5 else village
        return Place(name, village, lat, lng)
    if kind == "x":
        a, b = rng.sample(d.streets, 2)
        (lat_a, lng_a), (lat_b, lng_b) = POINTS[d.code, a], POINTS[d.code, b]
        alias = _pick(rng, (f"{b}{a}路口", f"{a}{b}口", f"{a}和{b}那个路口"))
        return Place(f"{a}与{b}交叉口", alias, (lat_a + lat_b) / 2, (lng_a + lng_b) / 2)
    if kind == "n":
        street, number = _pick(rng, d.streets), rng.randint(1, 399)
        lat, lng = POINTS[d.code, street]
        alias = _pick(rng, (f"{street}{number}号附近", f"{street}中段", street))
        return Place(f"{street}{number}号", alias, lat, lng + (number % 21 - 10) * 0.0002)
    if kind == "e":
        estate, building = _pick(rng, d.estates), rng.randint(1, 32)
        lat, lng = POINTS[d.code, estate]
        alias = _pick(rng, (estate, f"{estate}{building}号楼", f"{estate}{building}幢"))
        return Place(f"{estate}{building}栋", alias, lat + (building % 9 - 4) * 0.0002, lng)
    poi = _pick(rng, d.pois)
    lat, lng = POINTS[d.code, poi]
    return Place(poi, _pick(rng, (f"{poi}附近", f"{poi}门口", poi)), lat, lng)


def _slots(rng: random.Random) -> dict[str, str]:
    return {
        "t": _pick(rng, SINCE), "s": _pick(rng, SIDES), "w": _pick(rng, WHO),
        "n": _pick(rng, NUMBERS), "r": _pick(rng, RELATIVES), "a": _pick(rng, AMOUNTS),
        "h": _pick(rng, HOSPITALS), "l": _pick(rng, LOCAL_HOSPITALS), "g": _pick(rng, GRADES),
        "k": _pick(rng, EATERIES), "y": _pick(rng, YEARS), "m": _pick(rng, MONTHS),
        "o": _pick(rng, FIRMS) + _pick(rng, EMPLOYERS), "c": _pick(rng, FIRMS) + _pick(rng, SHOPS),
    }  # fmt: skip


def _recipe(rng: random.Random, index: int) -> Recipe:
    problem = _pick(rng, PROBLEMS)
    district: District | None = None
    place = None
    if problem.places == "v":
        district = _pick(rng, RURAL)
    elif problem.places or rng.random() < 0.4:  # a policy matter: 市本级 or a district's
        district = _pick(rng, DISTRICTS)
    if district is not None and problem.places:
        place = _place(rng, district, problem.places)
    ti, si, pi = (
        rng.randrange(len(f)) for f in (problem.titles, problem.subjects, problem.predicates)
    )
    code, label = (district.code, district.label) if district else ("city", "临江市")
    has_point = place is not None and rng.random() < POINT_SHARE
    return Recipe(index, problem, code, label, place, _slots(rng), (ti, si, pi), has_point)


def _other(rng: random.Random, n: int, was: int) -> int:
    """Another index than ``was`` when there is one."""
    return (was + rng.randrange(1, n)) % n if n > 1 else was


def _report(rng: random.Random, r: Recipe, paraphrase: bool) -> dict[str, Any]:
    problem, slots, (ti, si, pi) = r.problem, dict(r.slots), r.choice
    has_point = r.has_point
    if paraphrase:  # another citizen: other words, the same problem, place and facts
        slots["t"], slots["w"] = _pick(rng, SINCE), _pick(rng, WHO)
        ti = _other(rng, len(problem.titles), ti)
        si = _other(rng, len(problem.subjects), si)
        if rng.random() < 0.5:
            pi = _other(rng, len(problem.predicates), pi)
        has_point = r.place is not None and rng.random() < (0.7 if r.has_point else 0.3)
    if r.place:
        short = r.place.alias if paraphrase and rng.random() < 0.6 else r.place.name
        slots["p"] = short
        title = problem.titles[ti].format(**slots)
        if rng.random() < 0.3 and not short.startswith(r.label[:2]):
            slots["p"] = r.label + short
    else:
        title = problem.titles[ti].format(**slots)
    if len(title) < 8:
        title = r.label + title
    if not title.startswith(UNFRAMED) and not any(w in title for w in UNFRAMED_WORDS):
        title = _pick(rng, TITLE_FRAMES).format(title)
    said = (problem.subjects[si], problem.predicates[pi])
    details = rng.sample(problem.details, _pick(rng, (1, 2, 2, 3)))
    extras = rng.sample(PLACE_EXTRAS if r.place else EXTRAS, _pick(rng, (0, 0, 1, 2)))
    core = "".join((*said, *details, *extras, _pick(rng, problem.asks))).format(**slots)
    opening, closing = _pick(rng, OPENINGS), _pick(rng, CLOSINGS)
    content = opening + core + closing
    if len(content) > 300:
        content = core
    lat = lng = None
    if has_point and r.place:
        lat = round(r.place.lat + rng.uniform(-JITTER_DEG, JITTER_DEG), 6)
        lng = round(r.place.lng + rng.uniform(-JITTER_DEG, JITTER_DEG), 6)
    return {
        "title": title[:40],
        "content": content,
        "district": r.district,
        "category": problem.category,
        "lat": lat,
        "lng": lng,
    }


def reports(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``n`` reports, the same for the same seed; ``paraphrase_of`` names the index of the
    earlier report a paraphrase retells (None for the others)."""
    rng = random.Random(seed)
    originals: list[Recipe] = []
    for index in range(n):
        if originals and rng.random() < PARAPHRASE_SHARE:
            recent = max(0, len(originals) - PARAPHRASE_WINDOW)
            recipe = originals[rng.randrange(recent, len(originals))]
            yield _report(rng, recipe, paraphrase=True) | {"paraphrase_of": recipe.position}
        else:
            recipe = _recipe(rng, index)
            originals.append(recipe)
            yield _report(rng, recipe, paraphrase=False) | {"paraphrase_of": None}
