Console.WriteLine("Loopdesk bench: not written yet.");
