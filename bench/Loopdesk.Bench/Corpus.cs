using System.Text;

namespace Loopdesk.Bench;

/// <summary>
/// The words tickets are written in: about 150 common English words, about 450 help-desk words and about 2,400 made-up
/// product, place and brand names, ranked in that order and drawn with Zipf frequencies (the word of rank r is used in
/// proportion to 1/r), so a word's share of messages falls with its rank as in real text. Deterministic for a seed.
/// </summary>
internal sealed class Corpus
{
    public const int VocabularySize = 3000;

    private static readonly string[] CommonWords = (
        "the to and i a is it you of for my in that on we this have with not be can but your me was are at so if do "
        + "please from our as an or get just when all there no they will what now has been would one any again still could "
        + "also about after up out its thanks thank hi hello regards since yesterday today morning did know need like "
        + "some how which because time here tried try work working does only then back more other new into than them their "
        + "should very same see last week day days first two every even make sure possible help why before let us way "
        + "am he she him her his who where while over already never always each under until both well many much most own "
        + "these those through during without again once again soon later best kind dear hope sorry problem issue question"
    ).Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct().ToArray();

    private static readonly string[] HelpDeskWords = (
        "router connection internet password invoice refund subscription account login email order delivery shipping package "
        + "payment card charge charged billing price plan upgrade downgrade cancel cancellation contract renewal discount coupon "
        + "app application update version install installation download upload file files photo photos screen error message "
        + "crash crashes crashed freeze slow loading page website browser phone mobile tablet laptop computer printer scanner "
        + "wifi network cable modem signal outage service server settings profile address number customer support agent "
        + "technician visit appointment schedule monday tuesday wednesday thursday friday saturday sunday january february "
        + "march april may june july august september october november december receipt statement bank transfer credit debit "
        + "tax vat company business office team colleague manager user users access permission permissions role admin reset "
        + "verify verification code link confirm confirmation sign signed register registration activate activation expired "
        + "expire blocked locked unlock broken damaged missing wrong incorrect duplicate twice double late delayed tracking "
        + "courier warehouse return returns replacement exchange warranty repair repaired fixed fix working stopped started "
        + "battery charger power adapter cable port usb bluetooth sync synchronize backup restore data storage cloud calendar "
        + "contacts notification notifications alert alerts report reports dashboard export import spreadsheet document pdf "
        + "attachment attached screenshot video camera microphone speaker audio sound volume display monitor keyboard mouse "
        + "firmware driver drivers security virus spam phishing suspicious fraud unauthorized privacy gdpr delete deleted "
        + "remove removed change changed changes request requested urgent asap important deadline "
        + "quote estimate offer sales purchase purchased bought buy ordered item items product products size color model "
        + "serial license key keys trial premium basic standard enterprise feature features option options menu button "
        + "click clicked checkout cart basket stock available unavailable sold shipment shipped arrive arrived arrival "
        + "store shop location branch district city street region north south east west central outage maintenance "
        + "downtime restart restarted rebooted reboot reinstall reinstalled cache cookies history log logs timeout timed "
        + "response answer reply replied call called calling voicemail chat ticket case reference escalate escalated "
        + "supervisor complaint disappointed frustrated unhappy satisfied happy great excellent terrible awful poor quality "
        + "refunded credited paid unpaid overdue reminder fee fees penalty interest balance amount total monthly yearly "
        + "annual weekly daily hour hours minute minutes evening night weekend holiday vacation migration migrate transfer "
        + "domain dns mailbox inbox outbox folder folders calendar meeting invite invitation guest guests booking booked "
        + "reservation table room rooms seat seats flight hotel car rental insurance claim claims policy coverage "
        + "doctor clinic prescription pharmacy dental school course lesson lessons exam certificate diploma student teacher "
        + "parcel postal label labels barcode scan scanned pickup collect collected driver drivers route routes fleet van "
        + "meter reading readings gas electricity water heating boiler thermostat radiator leak leaking pipe pipes plumber "
        + "electrician solar panel panels inverter grid tariff supplier switch switched smart device devices hub bridge "
        + "camera cameras doorbell lock alarm sensor sensors motion light lights bulb bulbs lamp socket plug plugs"
    ).Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct().Where(w => !CommonWords.Contains(w)).ToArray();

    private static readonly string[] Onsets = ["b", "br", "c", "ch", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "kl", "l", "m", "n", "p", "pr", "qu", "r", "s", "sh", "st", "t", "tr", "v", "w", "z"];
    private static readonly string[] Vowels = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"];
    private static readonly string[] Codas = ["", "", "", "n", "r", "l", "s", "x", "m", "nd", "rt", "st", "k"];

    public static readonly string[] FirstNames =
    [
        "Anna", "Ben", "Chiara", "David", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal", "Lena", "Marta", "Nils",
        "Olga", "Pedro", "Quinn", "Rosa", "Sanjay", "Tove", "Uma", "Viktor", "Wen", "Yusuf", "Zoe", "Amara", "Bruno", "Clara",
        "Dmitri", "Eva", "Felix", "Greta", "Hassan", "Ingrid", "Jamal", "Kira", "Luca", "Maya", "Noah", "Oskar", "Priya",
        "Rafael", "Sofia", "Tariq", "Ulla", "Valentina", "William", "Xenia", "Yara", "Zeynep", "Aiko", "Bjorn", "Carmen",
        "Diego", "Emma", "Fatima", "Gustav", "Hana", "Ivan", "Julia",
    ];

    public static readonly string[] LastNames =
    [
        "Keller", "Novak", "Rossi", "Okafor", "Yilmaz", "Haddad", "Lindqvist", "Tanaka", "Moreau", "Schmidt", "Fischer", "Costa",
        "Nguyen", "Kowalski", "Ivanova", "Silva", "Brennan", "Garcia", "Patel", "Berg", "Andersen", "Bauer", "Cohen", "Dubois",
        "Eriksson", "Ferrari", "Gomez", "Hansen", "Ito", "Jensen", "Kim", "Larsen", "Martin", "Nielsen", "Olsen", "Petrov",
        "Quintero", "Richter", "Sato", "Torres", "Urban", "Vogel", "Weber", "Xu", "Young", "Zimmermann", "Ahmed", "Bianchi",
        "Chen", "Dalton", "Eze", "Fernandes", "Gruber", "Horvat", "Ibrahim", "Jovanovic", "Kaya", "Lopez", "Mendes", "Nowak",
        "Ortiz", "Popescu", "Quinn", "Ramos", "Suzuki", "Thompson", "Ueda", "Varga", "Walsh", "Yamamoto", "Zhang", "Murphy",
        "Kelly", "Sullivan", "Byrne", "Ryan", "Lynch", "Doyle", "Walker", "Wright",
    ];

    private readonly string[] _words;
    private readonly double[] _cumulative;
    private readonly double[] _subjectCumulative;
    private readonly int _subjectFrom;

    public Corpus(int seed = 20261124)
    {
        var random = new Random(seed);
        var words = new List<string>(VocabularySize);
        words.AddRange(CommonWords);
        words.AddRange(HelpDeskWords);
        var seen = new HashSet<string>(words, StringComparer.Ordinal);
        while (words.Count < VocabularySize)
        {
            var syllables = random.Next(2, 4);
            var sb = new StringBuilder();
            for (var s = 0; s < syllables; s++)
            {
                sb.Append(Onsets[random.Next(Onsets.Length)]).Append(Vowels[random.Next(Vowels.Length)]);
                if (s == syllables - 1 || random.Next(3) == 0) sb.Append(Codas[random.Next(Codas.Length)]);
            }
            var word = sb.ToString();
            if (word.Length >= 4 && seen.Add(word)) words.Add(word);
        }
        _words = [.. words];
        _cumulative = ZipfCumulative(0);
        _subjectFrom = CommonWords.Length;
        _subjectCumulative = ZipfCumulative(_subjectFrom);
    }

    /// <summary>Ranks 0 .. CommonCount-1 are the common English words.</summary>
    public static int CommonCount => CommonWords.Length;

    public static int HelpDeskCount => HelpDeskWords.Length;

    public IReadOnlyList<string> Words => _words;

    /// <summary>A random rank, by Zipf frequency.</summary>
    public int NextRank(Random random) => Pick(_cumulative, random.NextDouble(), 0);

    /// <summary>
    /// Text of <paramref name="words"/> words in sentences. Each distinct rank used is passed to <paramref name="used"/>
    /// (for counting how many messages a search word appears in).
    /// </summary>
    public string Text(Random random, int words, Action<int>? used = null)
    {
        var sb = new StringBuilder(words * 7);
        var sentence = 0;
        var sentenceLength = random.Next(6, 16);
        for (var i = 0; i < words; i++)
        {
            var rank = NextRank(random);
            used?.Invoke(rank);
            var word = _words[rank];
            if (sentence == 0)
            {
                if (i > 0) sb.Append(' ');
                sb.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
            }
            else
            {
                sb.Append(i % 11 == 7 && sentence > 2 ? ", " : " ").Append(word);
            }
            if (++sentence == sentenceLength || i == words - 1)
            {
                sb.Append(random.Next(8) == 0 ? '?' : '.');
                sentence = 0;
                sentenceLength = random.Next(6, 16);
            }
        }
        return sb.ToString();
    }

    /// <summary>A subject: three to eight words, without the most common English words.</summary>
    public string Subject(Random random, Action<int>? used = null)
    {
        var n = random.Next(3, 9);
        var sb = new StringBuilder(64);
        for (var i = 0; i < n; i++)
        {
            var rank = Pick(_subjectCumulative, random.NextDouble(), _subjectFrom);
            used?.Invoke(rank);
            var word = _words[rank];
            if (i == 0) sb.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
            else sb.Append(' ').Append(word);
        }
        return sb.ToString();
    }

    private double[] ZipfCumulative(int from)
    {
        var c = new double[_words.Length - from];
        var sum = 0.0;
        for (var i = 0; i < c.Length; i++)
        {
            sum += 1.0 / (i + 1);
            c[i] = sum;
        }
        for (var i = 0; i < c.Length; i++) c[i] /= sum;
        return c;
    }

    private static int Pick(double[] cumulative, double u, int offset)
    {
        var i = Array.BinarySearch(cumulative, u);
        if (i < 0) i = ~i;
        return offset + Math.Min(i, cumulative.Length - 1);
    }
}
