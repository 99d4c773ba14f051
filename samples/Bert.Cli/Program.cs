using System.CommandLine;
using System.Text;
using Bert.Cli;
using Bert.Cli.Commands;

Console.OutputEncoding = Encoding.UTF8;
// A command-line run is one job: let freed tensor memory be reused instead of faulted in again each batch.
Bert.Core.TorchRuntime.RetainFreedTensorMemory();
// On AMD processors without AVX-512, let libtorch's MKL run its AVX2 kernels (a no-op elsewhere; see the README).
Bert.Core.TorchRuntime.UseMklAvx2KernelsOnAmd();
// Warnings the library raises once (e.g. bfloat16 on a processor that emulates it) go to stderr.
Bert.Core.BertWarnings.Warning += message => Console.Error.WriteLine("warning: " + message);

var root = new RootCommand("""
    Bert.NET: fine-tune and use BERT classifiers from .NET.
    With no arguments, runs 'train' with its defaults: a KNBC topic classifier from ../shared.
    """)
{
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    PredictCommand.Create(),
    EmbedCommand.Create(),
    ExportOnnxCommand.Create(),
    TokenizeCommand.CreateTokenize(),
    TokenizeCommand.CreateStats(),
    SegmentCommand.Create(),
    CheckpointCommands.CreateInspect(),
    CheckpointCommands.CreateExtract(),
    PretrainCommand.Create(),
};
var verbose = new Option<bool>("--verbose") { Description = "On an error, also print the stack trace.", Recursive = true };
root.Options.Add(verbose);
root.SetAction((_, token) => Task.FromResult(TrainCommand.RunDefaults(token)));
var parsed = root.Parse(args);
Cli.Verbose = parsed.GetValue(verbose);
if (parsed.Errors.Count > 0)
{
    // One clear line instead of the whole help text.
    string command = parsed.CommandResult.Command == root ? "bert" : "bert " + parsed.CommandResult.Command.Name;
    Console.Error.WriteLine($"error: {parsed.Errors[0].Message} ('{command} --help' shows the options)");
    return 1;
}
return await parsed.InvokeAsync();
