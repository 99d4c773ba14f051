// Bert.Classification: the classification head, the trainer, metrics and the saved classifier.
