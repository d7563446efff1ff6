//! Words, people and texts the corpus draws from, in the languages it tests.

use encoding_rs::Encoding;

/// A correspondent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Person {
    pub(crate) name: &'static str,
    pub(crate) address: &'static str,
}

/// The owner of the generated mailbox (the sender of everything in Sent).
pub(crate) const OWNER: Person = Person {
    name: "Alice Liddell",
    address: "alice@example.org",
};

pub(crate) const PEOPLE: [Person; 12] = [
    Person {
        name: "Bob Builder",
        address: "bob@example.org",
    },
    Person {
        name: "Carol Danvers",
        address: "carol@example.com",
    },
    Person {
        name: "Dave Lister",
        address: "dave@reddwarf.example",
    },
    Person {
        name: "Eve Moneypenny",
        address: "eve@example.net",
    },
    Person {
        name: "José Müller",
        address: "jose.mueller@example.de",
    },
    Person {
        name: "Ольга Петрова",
        address: "olga@example.ru",
    },
    Person {
        name: "山田太郎",
        address: "yamada@example.jp",
    },
    Person {
        name: "王伟",
        address: "wang.wei@example.cn",
    },
    Person {
        name: "Zoë Ångström",
        address: "zoe@example.se",
    },
    Person {
        name: "Frank O'Brien",
        address: "frank.obrien@example.ie",
    },
    Person {
        name: "Mailing List",
        address: "announce@lists.example.org",
    },
    Person {
        name: "",
        address: "noreply@notifications.example.com",
    },
];

pub(crate) const TOPICS: [&str; 20] = [
    "Quarterly report",
    "Lunch on Friday?",
    "Release 2.4 checklist",
    "Invoice 2024-117",
    "Your order has shipped",
    "Team offsite agenda",
    "Re-scheduling our call",
    "Build failure on main",
    "Holiday photos",
    "Security review findings",
    "Welcome to the project",
    "Budget approval needed",
    "Meeting notes",
    "Conference travel",
    "Password policy update",
    "Newsletter: November",
    "Draft proposal",
    "Question about the API",
    "Server maintenance window",
    "Happy birthday!",
];

pub(crate) const SENTENCES: [&str; 16] = [
    "Thanks for getting back to me so quickly.",
    "I have attached the latest numbers for your review.",
    "Could you take a look before the end of the week?",
    "The build is green again after the last fix.",
    "Let me know if Thursday at 10:00 works for you.",
    "We should discuss the open points in our next meeting.",
    "The details are on https://example.org/wiki/Planning if you need them.",
    "I moved the document to the shared folder.",
    "Please ignore the previous message, it went out too early.",
    "The customer confirmed the order this morning.",
    "See you at the offsite!",
    "I think we are almost there, just two items left.",
    "Our naïve estimate was off by about 20 %.",
    "The résumé you forwarded looks promising.",
    "Could you send me the slides from yesterday?",
    "Reminder: the office is closed on Monday.",
];

/// A body and subject written in a script that one legacy charset carries.
pub(crate) struct CharsetSample {
    pub(crate) charset: &'static str,
    pub(crate) encoding: &'static Encoding,
    /// Whether headers use base64 (`B`) encoded words, as mailers do for CJK.
    pub(crate) base64_headers: bool,
    pub(crate) subject: &'static str,
    pub(crate) sender: Person,
    pub(crate) body: &'static str,
}

pub(crate) const CHARSET_SAMPLES: [CharsetSample; 5] = [
    CharsetSample {
        charset: "iso-8859-1",
        encoding: encoding_rs::WINDOWS_1252,
        base64_headers: false,
        subject: "Grüße aus München, café olé",
        sender: PEOPLE[4],
        body: "Hallo Alice,\n\nviele Grüße aus München! Das Café an der Ecke hat wieder geöffnet.\nÀ bientôt, garçon.\n\nJosé\n",
    },
    CharsetSample {
        charset: "windows-1252",
        encoding: encoding_rs::WINDOWS_1252,
        base64_headers: false,
        subject: "Rechnung über 250 € – “bitte prüfen”",
        sender: PEOPLE[4],
        body: "Hallo,\n\ndie Rechnung über 250 € liegt bei – „bitte“ bis Freitag prüfen.\n\nGrüße\n",
    },
    CharsetSample {
        charset: "koi8-r",
        encoding: encoding_rs::KOI8_R,
        base64_headers: false,
        subject: "Привет из Москвы",
        sender: PEOPLE[5],
        body: "Здравствуйте, Алиса!\n\nПосылаю вам отчёт за квартал. Всего доброго.\n\nОльга\n",
    },
    CharsetSample {
        charset: "shift_jis",
        encoding: encoding_rs::SHIFT_JIS,
        base64_headers: true,
        subject: "会議の議事録について",
        sender: PEOPLE[6],
        body: "アリスさん\n\n昨日の会議の議事録を送ります。ご確認ください。\n\n山田\n",
    },
    CharsetSample {
        charset: "gb2312",
        encoding: encoding_rs::GBK,
        base64_headers: true,
        subject: "关于项目进度的通知",
        sender: PEOPLE[7],
        body: "爱丽丝，你好！\n\n项目进度报告已经附上，请查收。\n\n王伟\n",
    },
];

/// A subject and sender sent as raw UTF-8 in the header (RFC 6532), not encoded words.
pub(crate) const RAW_UTF8_SUBJECT: &str = "Überraschung 🎉 für Zoë – naïve café";
