using Bert.Core.Checkpoints;
using static TorchSharp.torch;

namespace Bert.Core.IO;

/// <summary>
/// The one writer of Hugging Face model folders (<c>config.json</c> + <c>model.safetensors</c>), used by
/// <see cref="BertCheckpointLoader.SaveHuggingFace"/>, the pretraining export and saved classifiers, always inside a
/// <see cref="SaveTransaction"/> so the folder's other files are left alone and a killed save is never half visible.
/// </summary>
internal static class HuggingFaceFolder
{
    /// <summary>The config file name.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The weights file name.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>Writes the config and the weights (Hugging Face names, metadata format "pt") into the save.</summary>
    public static void WriteModel(SaveTransaction save, string configJson, IEnumerable<KeyValuePair<string, Tensor>> weights)
    {
        save.WriteText(ConfigFile, configJson);
        using (no_grad())
            save.Write(WeightsFile, stream => SafeTensors.Write(stream, weights));
    }

    /// <summary>Saves a model folder on its own: the config and weights, nothing else touched.</summary>
    public static void Save(string directory, string configJson, IEnumerable<KeyValuePair<string, Tensor>> weights)
    {
        using var save = SaveTransaction.Begin(directory, SaveKind.HuggingFaceModel, "saving a Hugging Face model folder");
        WriteModel(save, configJson, weights);
        save.Commit();
    }
}
