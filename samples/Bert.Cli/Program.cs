using System.CommandLine;
using System.Text;
using Bert.Cli.Commands;

Console.OutputEncoding = Encoding.UTF8;

var root = new RootCommand("""
    Bert.NET: fine-tune and use BERT classifiers from .NET.
    With no arguments, runs 'train' with its defaults: a KNBC topic classifier from ../shared.
    """)
{
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    PredictCommand.Create(),
    TokenizeCommand.CreateTokenize(),
    TokenizeCommand.CreateStats(),
    CheckpointCommands.CreateInspect(),
    CheckpointCommands.CreateExtract(),
    PretrainCommand.Create(),
};
root.SetAction((_, token) => Task.FromResult(TrainCommand.RunDefaults(token)));
return await root.Parse(args).InvokeAsync();
