using Bert.Core;
using System.Globalization;

namespace Bert.Classification.Data;

/// <summary>
/// Train/test splits of labelled examples, deterministic for a seed on every machine (<see cref="Pcg64"/>).
/// <list type="bullet">
/// <item><see cref="StratifiedRandom"/>: sentence-level, class proportions kept, sizes and per-class counts
/// allocated exactly as scikit-learn's <c>train_test_split(..., stratify=y)</c> / <c>StratifiedShuffleSplit</c>
/// (KNBC, 4186 sentences, 0.1: 3767 train / 419 test, as the reference run). Which examples land where differs from
/// scikit-learn's for the same seed: the random generators differ.</item>
/// <item><see cref="ByGroup"/>: whole groups (KNBC articles) go to one side, so no article is in both train and
/// test: the honest estimate, since sentences of one article share topic words.</item>
/// </list>
/// </summary>
public static class DataSplit
{
    /// <summary>
    /// The train and test sizes for <paramref name="count"/> examples, as scikit-learn computes them for a float
    /// <c>test_size</c>: test = ceil(testFraction × count), train = count − test.
    /// </summary>
    /// <param name="count">The number of examples (or groups).</param>
    /// <param name="testFraction">The test fraction, in (0, 1).</param>
    /// <returns>The sizes.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> is not in (0, 1), or <paramref name="count"/> is negative.</exception>
    public static (int Train, int Test) Sizes(int count, double testFraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be in (0, 1), e.g. 0.1.");
        var test = (int)Math.Ceiling(testFraction * count);
        return (count - test, test);
    }

    /// <summary>
    /// A stratified random split: per-class test counts allocated like scikit-learn's <c>_approximate_mode</c>
    /// (train counts first, then test counts from what remains; ties in the fractional parts broken by the seed),
    /// members of each class drawn by a seeded permutation, then train and test each shuffled.
    /// </summary>
    /// <param name="examples">The examples; labels must be non-empty.</param>
    /// <param name="testFraction">The fraction of examples in the test set, in (0, 1): the test size is ceil(fraction × count).</param>
    /// <param name="seed">The seed; equal seeds give equal splits.</param>
    /// <returns>The train and test examples.</returns>
    /// <exception cref="ArgumentException">No examples, a class with a single example, or fewer train or test examples than classes (scikit-learn's conditions).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> is not in (0, 1).</exception>
    public static (IReadOnlyList<TextExample> Train, IReadOnlyList<TextExample> Test) StratifiedRandom(
        IReadOnlyList<TextExample> examples, double testFraction, int seed)
    {
        CheckExamples(examples);
        if (examples.FirstOrDefault(e => e.ProblemType != ProblemType.SingleLabel) is { } other)
            throw new ArgumentException($"A stratified split needs single-label examples; example {other.Id ?? other.Text} is {other.ProblemType} (use ByGroup, or split by hand).", nameof(examples));
        var (nTrain, nTest) = Sizes(examples.Count, testFraction);
        var labels = examples.Select(e => e.Label!).Distinct().Order(StringComparer.Ordinal).ToArray();
        var classIndex = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var members = labels.Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < examples.Count; i++)
            members[classIndex[examples[i].Label!]].Add(i);
        var counts = members.Select(m => m.Count).ToArray();
        var smallest = Array.IndexOf(counts, counts.Min());
        if (counts[smallest] < 2)
            throw new ArgumentException($"Class '{labels[smallest]}' has only {counts[smallest]} example; a stratified split needs at least 2 per class.", nameof(examples));
        CheckSizes(nTrain, nTest, labels.Length, examples.Count, testFraction, "examples");

        var rng = new Pcg64(seed);
        var trainCounts = ApproximateMode(counts, nTrain, rng);
        var testCounts = ApproximateMode(counts.Select((c, i) => c - trainCounts[i]).ToArray(), nTest, rng);
        var train = new List<TextExample>(nTrain);
        var test = new List<TextExample>(nTest);
        for (var c = 0; c < labels.Length; c++)
        {
            var permuted = new List<int>(members[c]);
            rng.Shuffle(permuted);
            train.AddRange(permuted.Take(trainCounts[c]).Select(i => examples[i]));
            test.AddRange(permuted.Skip(trainCounts[c]).Take(testCounts[c]).Select(i => examples[i]));
        }
        rng.Shuffle(train);
        rng.Shuffle(test);
        return (train, test);
    }

    /// <summary>
    /// A plain random split for any problem type (multi-label and regression data cannot be stratified by one label):
    /// a seeded permutation, the last ceil(fraction × count) examples to test.
    /// </summary>
    /// <param name="examples">The examples.</param>
    /// <param name="testFraction">The fraction of examples in the test set, in (0, 1).</param>
    /// <param name="seed">The seed; equal seeds give equal splits.</param>
    /// <returns>The train and test examples.</returns>
    /// <exception cref="ArgumentException">No examples, or a split that leaves one side empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> is not in (0, 1).</exception>
    public static (IReadOnlyList<TextExample> Train, IReadOnlyList<TextExample> Test) Random(
        IReadOnlyList<TextExample> examples, double testFraction, int seed)
    {
        CheckExamples(examples);
        var (nTrain, nTest) = Sizes(examples.Count, testFraction);
        if (nTrain < 1)
            throw new ArgumentException($"{examples.Count} examples with test fraction {testFraction.ToString(CultureInfo.InvariantCulture)} leave no training example.", nameof(examples));
        var order = examples.ToList();
        new Pcg64(seed).Shuffle(order);
        return (order.Take(nTrain).ToList(), order.Skip(nTrain).ToList());
    }

    /// <summary>
    /// A grouped split: every <see cref="TextExample.GroupId"/> lands wholly in train or wholly in test. The test
    /// set gets ceil(fraction × groups) groups, allocated across classes (a group's class is its most frequent
    /// label; multi-label and regression groups form one class) like <see cref="StratifiedRandom"/> allocates examples,
    /// so topics keep their proportions of groups.
    /// </summary>
    /// <param name="examples">The examples; each needs a <see cref="TextExample.GroupId"/>.</param>
    /// <param name="testFraction">The fraction of groups in the test set, in (0, 1).</param>
    /// <param name="seed">The seed; equal seeds give equal splits.</param>
    /// <returns>The train and test examples, each shuffled.</returns>
    /// <exception cref="ArgumentException">No examples, an example without a group, or fewer than two groups.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> is not in (0, 1).</exception>
    public static (IReadOnlyList<TextExample> Train, IReadOnlyList<TextExample> Test) ByGroup(
        IReadOnlyList<TextExample> examples, double testFraction, int seed)
    {
        CheckExamples(examples);
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < examples.Count; i++)
        {
            var group = examples[i].GroupId;
            if (string.IsNullOrEmpty(group))
                throw new ArgumentException($"Example {i} has no GroupId; a grouped split needs one on every example (KNBC: the article id).", nameof(examples));
            if (!groups.TryGetValue(group, out var list))
                groups[group] = list = [];
            list.Add(i);
        }
        var (nTrain, nTest) = Sizes(groups.Count, testFraction);
        if (nTrain < 1 || nTest < 1)
            throw new ArgumentException($"{groups.Count} group(s) with test fraction {testFraction.ToString(CultureInfo.InvariantCulture)} leave an empty train or test set.", nameof(examples));

        var groupIds = groups.Keys.Order(StringComparer.Ordinal).ToArray();
        var groupLabel = groupIds.ToDictionary(g => g, g => groups[g]
            .GroupBy(i => examples[i].Label ?? "", StringComparer.Ordinal)
            .OrderByDescending(x => x.Count()).ThenBy(x => x.Key, StringComparer.Ordinal).First().Key, StringComparer.Ordinal);
        var labels = groupLabel.Values.Distinct().Order(StringComparer.Ordinal).ToArray();
        var members = labels.Select(l => groupIds.Where(g => groupLabel[g] == l).ToList()).ToArray();
        var counts = members.Select(m => m.Count).ToArray();

        var rng = new Pcg64(seed);
        var trainCounts = ApproximateMode(counts, nTrain, rng);
        var testCounts = ApproximateMode(counts.Select((c, i) => c - trainCounts[i]).ToArray(), nTest, rng);
        var train = new List<TextExample>();
        var test = new List<TextExample>();
        for (var c = 0; c < labels.Length; c++)
        {
            var permuted = new List<string>(members[c]);
            rng.Shuffle(permuted);
            train.AddRange(permuted.Take(trainCounts[c]).SelectMany(g => groups[g]).Select(i => examples[i]));
            test.AddRange(permuted.Skip(trainCounts[c]).Take(testCounts[c]).SelectMany(g => groups[g]).Select(i => examples[i]));
        }
        rng.Shuffle(train);
        rng.Shuffle(test);
        return (train, test);
    }

    /// <summary>
    /// scikit-learn's <c>_approximate_mode</c>: floor(count / total × draws) per class, then one more for the classes
    /// with the largest fractional parts until the draws are used up, ties broken at random.
    /// </summary>
    internal static int[] ApproximateMode(int[] classCounts, int draws, Pcg64 rng)
    {
        double total = classCounts.Sum();
        var continuous = classCounts.Select(c => c / total * draws).ToArray();
        var floored = continuous.Select(Math.Floor).ToArray();
        var needToAdd = (int)(draws - floored.Sum());
        var result = floored.Select(f => (int)f).ToArray();
        if (needToAdd <= 0)
            return result;
        var remainder = continuous.Select((c, i) => c - floored[i]).ToArray();
        foreach (var value in remainder.Distinct().OrderDescending())
        {
            var tied = Enumerable.Range(0, remainder.Length).Where(i => remainder[i] == value).ToList();
            var addNow = Math.Min(tied.Count, needToAdd);
            rng.Shuffle(tied);
            foreach (var i in tied.Take(addNow))
                result[i]++;
            needToAdd -= addNow;
            if (needToAdd == 0)
                break;
        }
        return result;
    }

    private static void CheckExamples(IReadOnlyList<TextExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0)
            throw new ArgumentException("There are no examples to split.", nameof(examples));
        for (var i = 0; i < examples.Count; i++)
        {
            if (examples[i] is null)
                throw new ArgumentException($"Example {i} is null.", nameof(examples));
        }
    }

    private static void CheckSizes(int nTrain, int nTest, int classes, int count, double testFraction, string what)
    {
        var fraction = testFraction.ToString(CultureInfo.InvariantCulture);
        if (nTrain < classes)
            throw new ArgumentException($"{count} {what} with test fraction {fraction} leave {nTrain} for training, fewer than the {classes} classes.", "examples");
        if (nTest < classes)
            throw new ArgumentException($"{count} {what} with test fraction {fraction} give a test set of {nTest}, fewer than the {classes} classes.", "examples");
    }
}
